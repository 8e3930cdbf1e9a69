import type { Ctx } from "../ctx";
import { Empty } from "../ui/components";

export function SessionsPage(_props: { ctx: Ctx }) {
  return <Empty>Coming soon.</Empty>;
}
