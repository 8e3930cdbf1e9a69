// Sightline's loader snippet, as the README documents it (the same as agent/e2e/harness.ts):
// a stub that queues calls, /agent.js from the Sightline server loaded asynchronously, init.

export function sightlineTags(sightlineUrl, projectKey) {
  const agent = JSON.stringify(`${sightlineUrl}/agent.js`);
  return `<script>
(function(w,d,u){w.sightline=w.sightline||function(){(w.sightline.q=w.sightline.q||[]).push(arguments)};var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s)})(window,document,${agent});
sightline("init", ${JSON.stringify({ projectKey })});
</script>`;
}
