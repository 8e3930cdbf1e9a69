// A world map: the land (Natural Earth 1:110m, generated at build time, see
// web/scripts/land.mjs) in an equirectangular projection from 170° W and 75° N to 60° S, and
// each country a circle at its approximate centre, sized by its units and filled with its
// rating colour. Labels come from this table, never from the data.

import { LAND } from "virtual:land";

import { RATING_COLOUR, RATING_LABEL, type Rating } from "../ratings";

/** Approximate centres (latitude, longitude) of the countries most sites see. */
const CENTRES: Record<string, [number, number]> = {
  US: [39, -98], CA: [57, -101], MX: [23, -102], BR: [-10, -53], AR: [-34, -64], CL: [-31, -71], CO: [4, -73],
  PE: [-9, -75], VE: [7, -66], EC: [-1.5, -78], GT: [15.5, -90], CU: [21.5, -79], DO: [19, -70.5], PR: [18.2, -66.5],
  GB: [54, -2], IE: [53, -8], FR: [46.5, 2.5], ES: [40, -4], PT: [39.5, -8], DE: [51, 10], NL: [52.2, 5.5], BE: [50.6, 4.6],
  CH: [46.8, 8.2], AT: [47.5, 14.5], IT: [42.8, 12.5], PL: [52, 19], CZ: [49.8, 15.5], SK: [48.7, 19.5], HU: [47.2, 19.5],
  RO: [45.9, 25], BG: [42.7, 25.5], GR: [39, 22], SE: [62, 15], NO: [61, 9], FI: [64, 26], DK: [56, 10], IS: [65, -18],
  EE: [58.6, 25], LV: [56.9, 24.6], LT: [55.3, 23.9], UA: [49, 31.5], BY: [53.7, 28], RU: [60, 90], TR: [39, 35],
  RS: [44, 21], HR: [45.1, 15.2], SI: [46.1, 14.8], IL: [31.4, 35], SA: [24, 45], AE: [24, 54], QA: [25.3, 51.2], IR: [32.5, 54],
  IQ: [33, 43.7], EG: [26.8, 30.8], MA: [31.8, -7], DZ: [28, 2.6], TN: [34, 9.5], NG: [9.5, 8], GH: [7.9, -1], KE: [0.2, 37.9],
  ET: [9, 39.5], ZA: [-29, 24.7], TZ: [-6.4, 34.9], UG: [1.4, 32.3], SN: [14.5, -14.5], CI: [7.5, -5.5], CM: [5.7, 12.7],
  IN: [22, 79], PK: [30, 70], BD: [23.7, 90.3], LK: [7.9, 80.7], NP: [28.4, 84.1], CN: [35, 104], JP: [36.5, 138.5],
  KR: [36.4, 127.9], TW: [23.7, 121], HK: [22.3, 114.2], SG: [1.35, 103.8], MY: [3.8, 102], TH: [15.5, 101], VN: [16, 107.8],
  PH: [12.9, 121.8], ID: [-2.5, 118], KZ: [48, 67], UZ: [41.4, 64.6], AU: [-25.3, 133.8], NZ: [-41.3, 174],
};

export interface MapPoint {
  code: string;
  units: number;
  rating: Rating | undefined;
  text: string;
}

const W = 720;
const H = 330;
const WEST = -170;
const NORTH = 75;
const x = (lon: number) => ((lon - WEST) / 360) * W;
const y = (lat: number) => ((NORTH - lat) / 135) * H;
/** Places the land's path (x = longitude, y = -latitude, in degrees) on the map. */
const LAND_TRANSFORM = `scale(${W / 360} ${H / 135}) translate(${-WEST} ${NORTH})`;

export function WorldMap({ points, label }: { points: MapPoint[]; label: string }) {
  const placed = points.filter((p) => CENTRES[p.code]).sort((a, b) => b.units - a.units);
  const max = Math.max(1, ...placed.map((p) => p.units));
  const unplaced = points.length - placed.length;
  return (
    <figure class="worldmap">
      <svg class="map" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {[-60, -30, 0, 30, 60].map((lat) => (
          <line key={`lat${lat}`} x1={0} x2={W} y1={y(lat)} y2={y(lat)} class={lat === 0 ? "equator" : "grid"} />
        ))}
        {[-150, -120, -90, -60, -30, 0, 30, 60, 90, 120, 150].map((lon) => (
          <line key={`lon${lon}`} y1={0} y2={H} x1={x(lon)} x2={x(lon)} class="grid" />
        ))}
        <path class="land" d={LAND} transform={LAND_TRANSFORM} />
        {placed.map((p) => {
          const [lat, lon] = CENTRES[p.code];
          const r = 4 + 18 * Math.sqrt(p.units / max);
          return (
            <g key={p.code}>
              <circle cx={x(lon)} cy={y(lat)} r={r} fill={p.rating ? RATING_COLOUR[p.rating] : "#999"} fill-opacity="0.75" stroke="#222" stroke-width="0.7">
                <title>{`${p.code}: ${p.text}${p.rating ? `, ${RATING_LABEL[p.rating]}` : ""}`}</title>
              </circle>
              {r > 9 && (
                <text x={x(lon)} y={y(lat) + 4} text-anchor="middle" class="code">
                  {p.code}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption class="muted small">
        Circles grow with the units (est.) and take the rating's colour (● good blue, ▲ needs improvement yellow, ■ poor vermilion; grey: no
        rating). Hover a circle for its figure; the table below has every value.{unplaced > 0 ? ` ${unplaced} groups have no place on the map.` : ""}
      </figcaption>
    </figure>
  );
}
