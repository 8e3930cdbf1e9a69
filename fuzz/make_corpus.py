#!/usr/bin/env python3
"""Builds the seed corpus and the dictionary of the `decode` fuzz target.

Nothing binary is committed: the seeds are the JSON files in fuzz/seeds/decode/, the protocol's
example beacon (crates/protocol/tests/example_beacon.json, kept in sync with the docs by its
own test) and a few beacons made here at the limits (over-long strings, lists and counts
over their caps, more than 500 events), each written as it is, gzipped and deflated (zlib),
so the fuzzer starts from all three encodings. The dictionary holds the protocol's field
names and enum values, read from crates/protocol/beacon.schema.json, so it never drifts.

Usage: make_corpus.py TARGET CORPUS_DIR DICT_FILE  (run.sh calls it; the output is the same on
every run). Only the `decode` target exists so far; a new target adds its seeds here.
"""

import gzip
import json
import pathlib
import sys
import zlib

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
EXAMPLE = ROOT / "crates/protocol/tests/example_beacon.json"
SCHEMA = ROOT / "crates/protocol/beacon.schema.json"


def context(**extra):
    base = {
        "agent": {"name": "sightline-browser", "version": "0.4.2"},
        "session_id": "0123456789abcdef0123456789abcdef",
        "view_id": "fedcba9876543210fedcba9876543210",
        "url": "https://shop.example.com/products/4711",
    }
    base.update(extra)
    return base


def at_the_limits():
    """Strings just over their limits (id 64, label 128, name 256, value 1024, URL 2048,
    message 4096, stack 16 KiB) and a URL over the parser's 8 KiB refusal size."""
    long_path = "/p/" + "/".join("segment%02d-%s" % (i, "x" * 60) for i in range(40))
    return {
        "v": 1,
        "context": context(
            url="https://shop.example.com" + long_path[:2100] + "?utm_source=" + "u" * 50,
            release="r" * 129,
            environment="e" * 129,
            user={"id": "u" * 257, "attributes": {"k" * 257: "v" * 1025}},
            referrer="https://" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".example/",
        ),
        "events": [
            {"id": "i" * 65, "kind": "custom", "name": "n" * 257},
            {"id": "e1", "kind": "error", "error_type": "T" * 129, "message": "m" * 4097, "stack": "s" * 16385},
            {"id": "e2", "kind": "action", "target": "t" * 1025, "selector": "s" * 1025, "name": "n" * 257},
            {"id": "e3", "kind": "resource", "url": "https://cdn.example.com/" + "r" * 2100, "duration": 1},
            {"id": "e4", "kind": "request", "method": "GET", "url": "https://api.example.com/" + "q" * 9000, "duration": 1},
            {"id": "e5", "kind": "view", "view_url": "https://shop.example.com" + long_path, "navigation_type": "route_change"},
            {"id": "e6", "kind": "view", "view_url": "https://%s.%s.%s.example.com/" % ("a" * 63, "b" * 63, "c" * 63)},
            {"id": "e7", "kind": "view", "view_url": "https://" + "h" * 300 + ".example.com/"},
        ],
    }


def over_the_caps():
    """Lists over their caps: 20 server timings, 12 scripts, 70 attributes; more custom
    names, routes and attribute keys than the fuzz project's cardinality caps."""
    script = {"source_url": "https://shop.example.com/app.js", "invoker": "x", "duration": 1}
    events = [
        {"id": "v", "kind": "view", "server_timing": [{"name": "st%d" % i, "duration": i} for i in range(20)]},
        {"id": "f", "kind": "long_animation_frame", "duration": 80, "scripts": [script] * 12},
        {"id": "a", "kind": "custom", "name": "attrs", "attributes": {"k%d" % i: i for i in range(70)}},
    ]
    events += [{"id": "c%d" % i, "kind": "custom", "name": "event_%d" % i} for i in range(12)]
    events += [
        {"id": "r%d" % i, "kind": "action", "view_url": "https://shop.example.com/section%d/page" % i}
        for i in range(12)
    ]
    return {"context": context(), "events": events}


def too_many_events():
    events = [{"id": "e%d" % i, "kind": "custom", "name": "tick"} for i in range(510)]
    return {"context": context(), "events": events}


def generated():
    yield "limits.json", at_the_limits()
    yield "caps.json", over_the_caps()
    yield "too-many-events.json", too_many_events()


def schema_words():
    schema = json.loads(SCHEMA.read_text())
    words = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    words.update('"%s":' % name for name in value)
                if key == "enum":
                    words.update('"%s"' % v for v in value if isinstance(v, str))
                if key == "const" and isinstance(value, str):
                    words.add('"%s"' % value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return sorted(words)


JSON_TOKENS = [
    "{", "}", "[", "]", ":", ",", "true", "false", "null", "-0", "1e308", "-1", "0.1",
    '"\\u0000"', '"\\ud800"', '"\\"', "\xef\xbb\xbf",
    '"https://shop.example.com/"', '"http://', "https://", "#", "?", "&", "%", "%2F", "@",
    "javascript:", "data:", "//", "..", ";jsessionid=", "utm_source=", "page=",
]


def dict_line(token):
    escaped = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '\\"' else "\\x%02x" % ord(c) for c in token)
    return '"%s"' % escaped


def main():
    target, corpus, dict_file = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    if target != "decode":
        sys.exit("make_corpus.py: no seeds for target %r" % target)
    corpus.mkdir(parents=True, exist_ok=True)
    seeds = [(path.name, path.read_bytes()) for path in sorted((FUZZ / "seeds" / target).glob("*.json"))]
    seeds.append(("example-beacon.json", EXAMPLE.read_bytes()))
    seeds += [(name, json.dumps(beacon).encode()) for name, beacon in generated()]
    for name, body in seeds:
        stem = name.removesuffix(".json")
        (corpus / ("seed-" + name)).write_bytes(body)
        (corpus / ("seed-%s.gz" % stem)).write_bytes(gzip.compress(body, mtime=0))
        (corpus / ("seed-%s.zlib" % stem)).write_bytes(zlib.compress(body))
    tokens = sorted(set(schema_words()) | set(JSON_TOKENS))
    dict_file.write_text("".join(dict_line(token) + "\n" for token in tokens))
    print("corpus: %d seeds (plain, gzip, zlib) in %s; dictionary: %d tokens" % (len(seeds), corpus, len(tokens)))


if __name__ == "__main__":
    main()
