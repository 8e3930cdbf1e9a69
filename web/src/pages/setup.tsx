// Setup: the snippet (and the npm package's usage) with this server's address and the
// project's ingest key, ready to paste; the project's settings below (./settings).

import { useState } from "preact/hooks";

import { type ProjectDetail, getProject } from "../api";
import type { Ctx } from "../ctx";
import { npmUsage, snippet } from "../derive";
import { useAsync } from "../ui/async";
import { Section, Show } from "../ui/components";
import { ProjectSettingsForm } from "./settings";

function CopyButton({ text, label, testid }: { text: string; label: string; testid: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setState("copied"),
      () => setState("failed"),
    );
  return (
    <button type="button" onClick={copy} data-testid={testid} aria-live="polite">
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text" : label}
    </button>
  );
}

function Install({ project }: { project: ProjectDetail }) {
  const text = snippet(location.origin, project.ingest_key);
  const npm = npmUsage(location.origin, project.ingest_key);
  return (
    <>
      <Section title={`Install the agent on ${project.name}`} actions={<CopyButton text={text} label="Copy the snippet" testid="copy-snippet" />}>
        <p>
          Paste this into the <code>&lt;head&gt;</code> of every page, and set <code>release</code> and <code>environment</code> to your
          application's.
        </p>
        <pre class="snippet" data-testid="snippet">
          {text}
        </pre>
        <p>
          Project key: <code data-testid="ingest-key">{project.ingest_key}</code> (public: it can only send data, never read).
          {!project.enabled && <strong> This project is switched off in the configuration file: it refuses every beacon.</strong>}
        </p>
      </Section>
      <Section title="Or with a bundler (npm)" actions={<CopyButton text={npm} label="Copy" testid="copy-npm" />}>
        <pre class="snippet" data-testid="npm-usage">
          {npm}
        </pre>
        <p class="muted small">Use either the snippet or the package on a page, not both (docs/installing-the-agent.md).</p>
      </Section>
    </>
  );
}

export function SetupPage({ ctx }: { ctx: Ctx }) {
  const [version, setVersion] = useState(0);
  const [saved, setSaved] = useState<ProjectDetail>();
  const loaded = useAsync(`${ctx.project}\n${version}`, (signal) => getProject(ctx.project, signal));
  const result = saved && saved.id === ctx.project ? { data: saved, loading: false } : loaded;
  return (
    <Show result={result} what="the project">
      {(project) => (
        <>
          <Install project={project} />
          <ProjectSettingsForm
            key={`${project.id}|${version}`}
            project={project}
            onSaved={(next) => setSaved(next)}
            onReload={() => {
              setSaved(undefined);
              setVersion((v) => v + 1);
            }}
          />
        </>
      )}
    </Show>
  );
}
