// The world map's land, generated at build time from the `world-atlas` npm package (Natural
// Earth 1:110m land, public domain, as TopoJSON): one SVG path in degrees, x = longitude (from
// 170° W, up to 190° E) and y = -latitude, rounded to 0.1° (the map scales and shifts it).
// Nothing of it is committed.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Decodes the TopoJSON's arcs (quantized, delta-encoded) into [lon, lat] points. */
function decodeArcs(topology) {
  const [sx, sy] = topology.transform.scale;
  const [tx, ty] = topology.transform.translate;
  return topology.arcs.map((arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return [x * sx + tx, y * sy + ty];
    });
  });
}

/** The points of a ring of arc indexes (`~i` is arc i reversed), each arc's first point shared with the previous arc's last. */
function ring(arcs, indexes) {
  const points = [];
  for (const index of indexes) {
    const arc = index < 0 ? [...arcs[~index]].reverse() : arcs[index];
    points.push(...(points.length ? arc.slice(1) : arc));
  }
  return points;
}

const round = (v) => Math.round(v * 10) / 10;

/** The map's western edge: the land is drawn from 170° W eastwards, round to 190° E. */
const WEST = -170;

/**
 * The ring with longitudes made continuous (a ring across the antimeridian, such as Fiji's
 * or Eurasia's, would otherwise be drawn across the whole map), then moved by 360° when it
 * lies west of the map's edge.
 */
function unwrap(points) {
  let previous = points[0]?.[0] ?? 0;
  const out = points.map(([lon, lat]) => {
    while (lon - previous > 180) lon -= 360;
    while (previous - lon > 180) lon += 360;
    previous = lon;
    return [lon, lat];
  });
  const mean = out.reduce((sum, [lon]) => sum + lon, 0) / (out.length || 1);
  return mean < WEST ? out.map(([lon, lat]) => [lon + 360, lat]) : out;
}

/** The SVG path of every land polygon north of 60° S (rings closed, consecutive equal points dropped). */
export function landPath() {
  const topology = JSON.parse(readFileSync(require.resolve("world-atlas/land-110m.json"), "utf8"));
  const arcs = decodeArcs(topology);
  const polygons = topology.objects.land.geometries.flatMap((g) => (g.type === "MultiPolygon" ? g.arcs : g.type === "Polygon" ? [g.arcs] : []));
  let path = "";
  for (const polygon of polygons) {
    for (const indexes of polygon) {
      const points = unwrap(ring(arcs, indexes));
      // The map ends at 60° south: Antarctica is left out.
      if (points.every(([, lat]) => lat < -60)) continue;
      let last = "";
      let command = "M";
      for (const [lon, lat] of points) {
        const point = `${round(lon)} ${round(-lat)}`;
        if (point === last) continue;
        path += `${command}${point}`;
        command = "L";
        last = point;
      }
      path += "Z";
    }
  }
  return path.replace(/ -/g, "-");
}

/** An esbuild plugin that answers `import { LAND } from "virtual:land"`. */
export const landPlugin = {
  name: "land",
  setup(build) {
    build.onResolve({ filter: /^virtual:land$/ }, () => ({ path: "land", namespace: "virtual-land" }));
    build.onLoad({ filter: /.*/, namespace: "virtual-land" }, () => ({
      contents: `export const LAND = ${JSON.stringify(landPath())};`,
      loader: "js",
    }));
  },
};
