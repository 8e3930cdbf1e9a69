import { useEffect, useState } from "preact/hooks";

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
}

/** Runs `load` whenever `key` changes; the previous run is aborted. */
export function useAsync<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Async<T> {
  const [state, setState] = useState<Async<T> & { key?: string }>({ loading: true });
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ data: s.key === key ? s.data : undefined, loading: true, key }));
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false, key }),
      (error: Error) => !controller.signal.aborted && setState({ error, loading: false, key }),
    );
    return () => controller.abort();
  }, [key]);
  return state.key === key ? state : { loading: true };
}
