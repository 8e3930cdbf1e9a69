// A project's settings on the Setup page: the ones the server lets a dashboard user change
// (kept in <data_dir>/project-settings.json over the configuration file, in force at once),
// and, read-only, the ones only the configuration file sets. The server checks every value;
// its refusal is shown under the field it names.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import { ApiError, type ProjectDetail, type ProjectSettings, changeProject, resetProject } from "../api";
import { lines } from "../derive";
import { formatCount } from "../format";
import { Section } from "../ui/components";

/** A setting a dashboard user may change. */
type Key = keyof ProjectSettings;

const LABEL: Record<Key, string> = {
  allowed_origins: "Allowed origins",
  allowed_hosts: "Allowed page hosts",
  retention_days: "Retention (days)",
  sample_rate: "Session sample rate",
  honor_do_not_track: "Honour Do-Not-Track",
  drop_bots: "Drop bots",
};

interface Draft {
  allowed_origins: string;
  allowed_hosts: string;
  retention_days: string;
  sample_rate: string;
  honor_do_not_track: boolean;
  drop_bots: boolean;
}

const draftOf = (s: ProjectSettings): Draft => ({
  allowed_origins: s.allowed_origins.join("\n"),
  allowed_hosts: s.allowed_hosts.join("\n"),
  retention_days: String(s.retention_days),
  sample_rate: String(s.sample_rate),
  honor_do_not_track: s.honor_do_not_track,
  drop_bots: s.drop_bots,
});

/** The draft as the API takes it; a number field that is not a number is sent as NaN → refused by field. */
const settingsOf = (d: Draft): ProjectSettings => ({
  allowed_origins: lines(d.allowed_origins),
  allowed_hosts: lines(d.allowed_hosts),
  retention_days: d.retention_days.trim() === "" ? NaN : Number(d.retention_days),
  sample_rate: d.sample_rate.trim() === "" ? NaN : Number(d.sample_rate),
  honor_do_not_track: d.honor_do_not_track,
  drop_bots: d.drop_bots,
});

/** Checks the browser can make before asking the server (which checks everything again). */
function localError(s: ProjectSettings): { field: Key; message: string } | undefined {
  if (!Number.isInteger(s.retention_days)) return { field: "retention_days", message: "Write a whole number of days, e.g. 30." };
  if (!Number.isFinite(s.sample_rate)) return { field: "sample_rate", message: "Write a share between 0 and 1, e.g. 0.5 keeps half the sessions." };
  return undefined;
}

type Failure = { field?: string; message: string };

function Problem({ failure, field }: { failure?: Failure; field: Key }) {
  if (failure?.field !== field) return null;
  return (
    <span class="field-error" role="alert" id={`${field}-error`} data-testid={`error-${field}`}>
      {failure.message}
    </span>
  );
}

function Configured({ project, field }: { project: ProjectDetail; field: Key }) {
  if (!project.changed.includes(field)) return null;
  const value = project.configured[field];
  const text = Array.isArray(value) ? value.join(", ") || "(none)" : String(value);
  return <span class="muted small">Changed here; the configuration file says {text}.</span>;
}

/**
 * One setting's field: its label around the input element (a checkbox before its label), the
 * help, what the configuration file says when it was changed here, and the server's refusal.
 */
function Field({
  field,
  help,
  project,
  failure,
  check = false,
  children,
}: {
  field: Key;
  help: string;
  project: ProjectDetail;
  failure?: Failure;
  check?: boolean;
  children: ComponentChildren;
}) {
  return (
    <label class={check ? "field check" : "field"}>
      {check ? (
        <span>
          {children} {LABEL[field]}
        </span>
      ) : (
        <>
          {LABEL[field]}
          {children}
        </>
      )}
      <span class="muted small" id={`${field}-help`}>
        {help}
      </span>
      <Configured project={project} field={field} />
      <Problem failure={failure} field={field} />
    </label>
  );
}

export function ProjectSettingsForm({
  project,
  onSaved,
  onReload,
}: {
  project: ProjectDetail;
  onSaved: (project: ProjectDetail) => void;
  onReload: () => void;
}) {
  const [draft, setDraft] = useState(() => draftOf(project.settings));
  const [failure, setFailure] = useState<Failure>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const disabled = !project.editable || busy;
  const set = (change: Partial<Draft>) => {
    setDraft({ ...draft, ...change });
    setNotice(undefined);
  };
  const run = async (action: () => Promise<ProjectDetail>, done: string) => {
    setBusy(true);
    setFailure(undefined);
    setNotice(undefined);
    try {
      const next = await action();
      setDraft(draftOf(next.settings));
      setNotice(done);
      onSaved(next);
    } catch (error) {
      const e = error as Error;
      setFailure({ field: e instanceof ApiError ? e.field : undefined, message: e.message });
    } finally {
      setBusy(false);
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    const settings = settingsOf(draft);
    const local = localError(settings);
    if (local) return setFailure(local);
    void run(() => changeProject(project.id, settings), "Saved: the new settings are in force now.");
  };
  const reset = () => void run(() => resetProject(project.id), "The configuration file's settings are in force again.");
  const described = (field: Key) => (failure?.field === field ? `${field}-error` : `${field}-help`);
  const input = (field: Key) => ({
    name: field,
    disabled,
    "aria-invalid": failure?.field === field,
    "aria-describedby": described(field),
  });
  const text = (field: "allowed_origins" | "allowed_hosts", help: string) => (
    <Field field={field} help={help} project={project} failure={failure}>
      <textarea {...input(field)} rows={3} value={draft[field]} onInput={(e) => set({ [field]: (e.target as HTMLTextAreaElement).value })} />
    </Field>
  );
  const number = (field: "retention_days" | "sample_rate", help: string, attrs: { min: string; max: string; step: string }) => (
    <Field field={field} help={help} project={project} failure={failure}>
      <input
        {...input(field)}
        type="number"
        inputMode="decimal"
        {...attrs}
        value={draft[field]}
        onInput={(e) => set({ [field]: (e.target as HTMLInputElement).value })}
      />
    </Field>
  );
  const check = (field: "honor_do_not_track" | "drop_bots", help: string) => (
    <Field field={field} help={help} project={project} failure={failure} check>
      <input {...input(field)} type="checkbox" checked={draft[field]} onChange={(e) => set({ [field]: (e.target as HTMLInputElement).checked })} />
    </Field>
  );
  return (
    <>
      <Section title="Project settings">
        {!project.editable && (
          <p class="state empty">
            You can read these settings but not change them here: changes need a dashboard user on a server that keeps them
            (<code>sightline serve</code>); otherwise set them in the configuration file (docs/configuration.md).
          </p>
        )}
        <form class="settings" onSubmit={save} noValidate aria-label="Project settings" data-testid="settings-form">
          {text("allowed_origins", "One a line: https://shop.example, https://*.example.com, or * for any. Beacons from other origins are refused.")}
          {text("allowed_hosts", "One a line: shop.example or *.example.com. Empty accepts pages on any host.")}
          {number("retention_days", "Older data is deleted by the store's next maintenance.", { min: "1", max: "3650", step: "1" })}
          {number("sample_rate", "Share of sessions kept, above 0 and at most 1; kept sessions weigh more, so figures stay unbiased.", {
            min: "0.001",
            max: "1",
            step: "any",
          })}
          {check("honor_do_not_track", "Drop beacons from browsers that send DNT: 1 or Sec-GPC: 1.")}
          {check("drop_bots", "Otherwise bots and headless browsers are kept, flagged as device class bot.")}
          {failure && !failure.field && (
            <p class="state error" role="alert" data-testid="settings-error">
              {failure.message}
            </p>
          )}
          {notice && (
            <p class="state saved" role="status" data-testid="settings-saved">
              {notice}
            </p>
          )}
          <div class="actions">
            <button type="submit" disabled={disabled}>
              {busy ? "Saving…" : "Save settings"}
            </button>
            {project.changed.length > 0 && (
              <button type="button" disabled={disabled} onClick={reset}>
                Use the configuration file's settings
              </button>
            )}
            <button type="button" disabled={busy} onClick={onReload}>
              Reload
            </button>
          </div>
          {project.changed.length > 0 && (
            <p class="muted small" data-testid="settings-changed">
              Changed in the dashboard by {project.changed_by ?? "someone"} at {project.changed_at ?? "an unknown time"}:{" "}
              {project.changed.map((f) => LABEL[f] ?? f).join(", ")}. These override the configuration file, also after a restart
              (they are kept in the server's data directory, <code>project-settings.json</code>).
            </p>
          )}
        </form>
      </Section>
      <Section title="Set in the configuration file only">
        <p class="muted small">
          The ingest key, route patterns, query parameters kept, rate limits and cardinality caps are read from the server's configuration
          file when it starts (<code>[[projects]]</code>, docs/configuration.md).
        </p>
        <dl class="kv" data-testid="fixed-settings">
          <dt>Id</dt>
          <dd>
            <code>{project.id}</code>
          </dd>
          <dt>Route patterns</dt>
          <dd>{project.fixed.route_patterns.join(", ") || "none (automatic)"}</dd>
          <dt>Query parameters kept</dt>
          <dd>{project.fixed.query_allowlist.join(", ") || "none"}</dd>
          <dt>Rate limit</dt>
          <dd>
            {project.fixed.rate_limit_per_second ? `${formatCount(project.fixed.rate_limit_per_second)} beacons/s, burst ${formatCount(project.fixed.rate_limit_burst)}` : "none"}
          </dd>
          <dt>Distinct values kept</dt>
          <dd>
            {formatCount(project.fixed.max_routes)} routes, {formatCount(project.fixed.max_event_names)} event names,{" "}
            {formatCount(project.fixed.max_attribute_keys)} attribute keys
          </dd>
        </dl>
      </Section>
    </>
  );
}
