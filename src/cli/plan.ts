// `backup-agent plan [--json]`: what discovery finds and what a backup would store, changing nothing.
import { buildPlan, formatPlan, type PlanDeps, planProblems } from "../jobs/plan.js";

/** Exit 0 when a backup would run cleanly, 1 when a problem would fail it. */
export async function planCommand(deps: PlanDeps, args: { json: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const plan = await buildPlan(deps, AbortSignal.timeout(60_000));
  out.write(args.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
  return planProblems(plan) ? 1 : 0;
}
