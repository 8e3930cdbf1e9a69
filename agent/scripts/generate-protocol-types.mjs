#!/usr/bin/env node
// Generates the agent's wire-protocol types from the JSON Schema exported by
// `crates/protocol` (the Rust types are the single source of truth).
//
//   node agent/scripts/generate-protocol-types.mjs          writes agent/src/protocol.gen.ts
//   node agent/scripts/generate-protocol-types.mjs --check  exits 1 when that file is stale
//
// json-schema-to-typescript does the emitting and formatting. Before it runs, the
// schema is reshaped so that the result reads like hand-written TypeScript:
//
// - schemars writes serde's internally tagged, flattened `Event` as an object with
//   the shared properties *and* a `oneOf` whose members `$ref` the payload structs.
//   The generator cannot merge those, so it is split into `EventCommon` and one
//   `<Payload>Body` per kind (the payload's fields plus its literal `kind`), and
//   `Event = EventCommon & EventBody`: a union discriminated on `kind`.
// - A `$ref` with annotations beside it (description, default) makes the generator
//   emit a second copy of the referenced type (`Attributes1`) that carries the
//   property's docs. The annotations stay on the property and the `$ref` moves one
//   level down, into an `allOf` or `anyOf`, so every reference names the one type.
// - Every optional property (`serde(default)`) also accepts `undefined`, so agent
//   code can write `{ rating: maybeRating }` under `exactOptionalPropertyTypes`
//   (JSON.stringify omits it, which the server reads as absent).
// - String enums keep the documentation of each value, and defaults and integer
//   formats are written into the doc comments.
//
// Same schema in, byte-identical file out: nothing here depends on time, locale or
// object identity, and the formatting options are pinned.

import { readFile, writeFile } from "node:fs/promises";

import { compile } from "json-schema-to-typescript";

const SCHEMA_PATH = "crates/protocol/beacon.schema.json";
const OUTPUT_PATH = "agent/src/protocol.gen.ts";
const ROOT = new URL("../../", import.meta.url);

const BANNER = `// Generated from ${SCHEMA_PATH} by agent/scripts/generate-protocol-types.mjs — do not edit; run \`make protocol\`.
// Field semantics, limits and what the server does with each value: docs/protocol.md.`;

const STALE_MESSAGE = `${OUTPUT_PATH} is stale: run \`make protocol\` and commit the result`;

/** Prettier options, pinned so that the output does not change with the generator's defaults. */
const STYLE = {
  printWidth: 100,
  tabWidth: 2,
  useTabs: false,
  semi: true,
  singleQuote: false,
  bracketSpacing: true,
  trailingComma: "all",
};

const UNDEFINED = Object.freeze({ tsType: "undefined" });

/** Renders the TypeScript module for the schema given as text. */
async function generate(schemaText) {
  const exported = JSON.parse(schemaText);
  const schema = prepare(exported);
  const body = await compile(schema, "Beacon", {
    bannerComment: BANNER,
    additionalProperties: false,
    declareExternallyReferenced: true,
    unreachableDefinitions: false,
    strictIndexSignatures: false,
    unknownAny: true,
    format: true,
    style: STYLE,
  });
  return `${body.trimEnd()}\n${epilogue(exported)}`;
}

/** A copy of the exported schema, reshaped for the generator (see the file comment). */
function prepare(exported) {
  const schema = structuredClone(exported);
  const defs = schema.$defs ?? {};
  for (const name of Object.keys(defs)) {
    if (defs[name]?.oneOf && defs[name].properties) {
      splitTaggedUnion(defs, name);
    }
  }
  for (const [name, def] of Object.entries(defs)) {
    defs[name] = isStringEnum(def) ? documentedEnum(def) : def;
  }
  for (const def of [schema, ...Object.values(defs)]) {
    prepareProperties(def);
  }
  return schema;
}

/**
 * Replaces the serde internally tagged enum with flattened common fields (`name`) by
 * `<name>Common & <name>Body`, where the body is a union of `<Payload>Body` objects
 * that each carry their literal tag.
 */
function splitTaggedUnion(defs, name) {
  const def = defs[name];
  const tag = tagOf(name, def.oneOf);
  const bodies = def.oneOf.map((variant) => {
    const payload = refName(variant.$ref);
    const payloadDef = defs[payload];
    if (!payloadDef || payloadDef.type !== "object") {
      throw new Error(`${name}: variant ${payload} is not an object definition`);
    }
    const bodyName = `${payload}Body`;
    defs[bodyName] = {
      description: variant.description ?? payloadDef.description,
      type: "object",
      properties: { [tag]: variant.properties[tag], ...payloadDef.properties },
      required: [tag, ...(payloadDef.required ?? [])],
    };
    return { payload, bodyName };
  });
  defs[`${name}Common`] = {
    description: `Fields every ${name} has, whatever its \`${tag}\`.`,
    type: "object",
    properties: def.properties,
    required: def.required ?? [],
  };
  defs[`${name}Body`] = {
    description: `The \`${tag}\`-specific fields of an ${name}: a union discriminated on \`${tag}\`.`,
    oneOf: bodies.map(({ bodyName }) => ({ $ref: `#/$defs/${bodyName}` })),
  };
  defs[name] = {
    description: def.description,
    allOf: [{ $ref: `#/$defs/${name}Common` }, { $ref: `#/$defs/${name}Body` }],
  };
  // The payload structs are only reachable through the tagged enum; their `Body`
  // versions replace them (and keep DOM names such as `ErrorEvent` unshadowed).
  for (const { payload } of bodies) {
    if (!JSON.stringify(defs).includes(`"#/$defs/${payload}"`)) {
      delete defs[payload];
    }
  }
}

/** The tag property shared by every variant, checking that the shape is the one schemars emits. */
function tagOf(name, variants) {
  const tags = new Set();
  for (const variant of variants) {
    const properties = Object.entries(variant.properties ?? {});
    const [tag, tagSchema] = properties[0] ?? [];
    const expected =
      typeof variant.$ref === "string" &&
      properties.length === 1 &&
      typeof tagSchema?.const === "string" &&
      variant.required?.includes(tag);
    if (!expected) {
      throw new Error(
        `${name}: unexpected tagged-union variant ${JSON.stringify(variant)}; ` +
          "teach agent/scripts/generate-protocol-types.mjs the new shape",
      );
    }
    tags.add(tag);
  }
  if (tags.size !== 1) {
    throw new Error(`${name}: variants are tagged by different properties: ${[...tags].join(", ")}`);
  }
  return [...tags][0];
}

function refName(ref) {
  const prefix = "#/$defs/";
  if (typeof ref !== "string" || !ref.startsWith(prefix)) {
    throw new Error(`unsupported $ref ${JSON.stringify(ref)}`);
  }
  return ref.slice(prefix.length);
}

/** A `oneOf` of documented string constants, as schemars writes unit-variant enums. */
function isStringEnum(def) {
  return (
    Array.isArray(def.oneOf) &&
    def.oneOf.every((variant) => variant.type === "string" && typeof variant.const === "string")
  );
}

/** The enum as a plain `enum` (a string-literal union) whose values are listed in its doc comment. */
function documentedEnum(def) {
  const values = def.oneOf.map(({ const: value, description }) =>
    description && description !== value ? `- \`${value}\`: ${description}` : `- \`${value}\``,
  );
  return {
    description: joinParagraphs(def.description, values.join("\n")),
    type: "string",
    enum: def.oneOf.map((variant) => variant.const),
  };
}

/** Rewrites each property of an object schema: docs on the property, `undefined` for optional ones. */
function prepareProperties(def) {
  if (!def.properties) {
    return;
  }
  const required = new Set(def.required ?? []);
  for (const [key, property] of Object.entries(def.properties)) {
    const { description, default: defaultValue, format, minimum, maximum, ...type } = property;
    const notes = [];
    if (type.type === "integer" || (Array.isArray(type.type) && type.type.includes("integer"))) {
      notes.push(format ? `Integer (${format}).` : "Integer.");
    }
    if (defaultValue !== undefined && defaultValue !== null && !isEmptyCollection(defaultValue)) {
      notes.push(`@default ${JSON.stringify(defaultValue)}`);
    }
    const docs = joinParagraphs(description, ...notes);
    const prepared = required.has(key) ? annotatable(type) : withUndefined(type);
    def.properties[key] = docs ? { description: docs, ...prepared } : prepared;
  }
}

/**
 * The type in a form that can carry the property's own annotations: a `$ref` with
 * siblings would be merged into a copy of its target, so it goes one level down.
 */
function annotatable(type) {
  return type.$ref ? { allOf: [type] } : type;
}

/** The same type, also accepting `undefined`: one flat union where that is easy. */
function withUndefined(type) {
  if (Array.isArray(type.anyOf)) {
    return { ...type, anyOf: [...type.anyOf, UNDEFINED] };
  }
  const { type: members, ...constraints } = type;
  if (Array.isArray(members) && Object.keys(constraints).length === 0) {
    return { anyOf: [...members.map((member) => ({ type: member })), UNDEFINED] };
  }
  return { anyOf: [type, UNDEFINED] };
}

function isEmptyCollection(value) {
  return typeof value === "object" && Object.keys(value).length === 0;
}

function joinParagraphs(...parts) {
  return parts.filter(Boolean).join("\n\n");
}

/** Helpers the generator cannot express (generics, constants), derived from the same schema. */
function epilogue(exported) {
  const version = exported.properties?.v?.default;
  if (!Number.isInteger(version)) {
    throw new Error("the schema's `v` property has no integer default");
  }
  return `
/** The \`kind\` of an event. The server drops unknown kinds (outcome \`unknown_event_kind\`). */
export type EventKind = EventBody["kind"];

/** The event of one kind, e.g. \`EventOfKind<"vital">\`. */
export type EventOfKind<K extends EventKind> = Extract<Event, { kind: K }>;

/** The protocol version these types describe: the \`v\` of a beacon. */
export const PROTOCOL_VERSION = ${version};
`;
}

async function main(args) {
  const unknown = args.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}; usage: generate-protocol-types.mjs [--check]`);
    return 2;
  }
  const schemaText = await readFile(new URL(SCHEMA_PATH, ROOT), "utf8");
  const generated = await generate(schemaText);
  const outputUrl = new URL(OUTPUT_PATH, ROOT);
  if (args.includes("--check")) {
    const committed = await readFile(outputUrl, "utf8").catch(() => null);
    if (committed !== generated) {
      console.error(STALE_MESSAGE);
      return 1;
    }
    return 0;
  }
  await writeFile(outputUrl, generated);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
