/** A small line of counts (drawn from numbers only; nothing from a beacon reaches it). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 80 / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(19 - (v / max) * 18).toFixed(1)}`).join(" ");
  return (
    <svg class="spark" viewBox="0 0 80 20" width="80" height="20" role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="#d55e00" stroke-width="1.5" />
    </svg>
  );
}
