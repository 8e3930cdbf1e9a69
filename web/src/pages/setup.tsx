// Setup: the snippet to paste, with this server's address and the project's ingest key.

import { useState } from "preact/hooks";

import type { Project } from "../api";
import type { Ctx } from "../ctx";
import { snippet } from "../derive";
import { Section } from "../ui/components";


export function SetupPage({ ctx, projects }: { ctx: Ctx; projects: Project[] }) {
  const project = projects.find((p) => p.id === ctx.project);
  const key = project?.ingest_key;
  const text = snippet(location.origin, key ?? "pk_…");
  const [copied, setCopied] = useState(false);
  return (
    <>
      <Section
        title={`Install the agent on ${project?.name ?? ctx.project}`}
        actions={
          <button
            type="button"
            onClick={() =>
              navigator.clipboard.writeText(text).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? "Copied" : "Copy the snippet"}
          </button>
        }
      >
        <p>
          Paste this into the <code>&lt;head&gt;</code> of every page, and set <code>release</code> and <code>environment</code> to your
          application's.
        </p>
        <pre class="snippet" data-testid="snippet">
          {text}
        </pre>
        {key ? (
          <p>
            Project key: <code>{key}</code> (public: it can only send data, never read).
          </p>
        ) : (
          <p class="state empty">
            This server does not tell the project's ingest key to the dashboard. Replace <code>pk_…</code> with the key from the server's
            configuration (<code>ingest_key</code> of the project) or, for the default project, the file{" "}
            <code>&lt;data_dir&gt;/default-ingest-key</code>; <code>sightline serve</code> also prints it when it starts.
          </p>
        )}
      </Section>
      <Section title="Project settings">
        <dl class="kv">
          <dt>Id</dt>
          <dd>
            <code>{ctx.project}</code>
          </dd>
          <dt>Name</dt>
          <dd>{project?.name ?? "–"}</dd>
        </dl>
        <p class="muted">
          Allowed origins and hosts, sampling, retention and rate limits are set in the server's configuration file (see
          docs/configuration.md); the page's origin must be in the project's <code>allowed_origins</code>.
        </p>
      </Section>
    </>
  );
}
