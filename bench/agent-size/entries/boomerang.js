// boomerang with the plugins of a RUM set-up: timers, navigation/resource/paint/event timing,
// continuity (long tasks, interactions), errors, XHR/fetch, SPA history, compression.
import "boomerangjs/boomerang.js";
import "boomerangjs/plugins/rt.js";
import "boomerangjs/plugins/navtiming.js";
import "boomerangjs/plugins/restiming.js";
import "boomerangjs/plugins/painttiming.js";
import "boomerangjs/plugins/eventtiming.js";
import "boomerangjs/plugins/continuity.js";
import "boomerangjs/plugins/errors.js";
import "boomerangjs/plugins/auto-xhr.js";
import "boomerangjs/plugins/spa.js";
import "boomerangjs/plugins/history.js";
import "boomerangjs/plugins/compression.js";
import "boomerangjs/plugins/zzz-last-plugin.js";

window.BOOMR.init({ beacon_url: "https://beacon.example.com/", instrument_xhr: true });
