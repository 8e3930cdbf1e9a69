// web-vitals, attribution build, alone: the five metrics logged, nothing sent.
import { onCLS, onFCP, onINP, onLCP, onTTFB } from "web-vitals/attribution";

const report = (metric) => console.log(metric.name, metric.value, metric.attribution);
onCLS(report);
onFCP(report);
onINP(report);
onLCP(report);
onTTFB(report);
