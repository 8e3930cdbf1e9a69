// The world map's land, made at build time from the world-atlas package (web/scripts/land.mjs).
declare module "virtual:land" {
  /** One SVG path in degrees: x = longitude, y = -latitude. */
  export const LAND: string;
}
