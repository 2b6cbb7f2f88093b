// A table of bad environments, crontabs and command lines, each run through the built CLI as a user
// would: every one is refused (or warned, where accepting is right) naming the field, the value as
// shown and what was expected; no secret of any case appears in stdout or stderr; no stack trace.
import { beforeAll, describe, it } from "vitest";
import { type BadInput, expectOutcome, type Outcome, runCases } from "./support/bad-input.js";
import { CLI_CASES } from "./support/cases-cli.js";
import { ENV_CASES } from "./support/cases-env.js";
import { SCHEDULE_CASES } from "./support/cases-schedule.js";

const TABLE: Record<string, Record<string, BadInput[]>> = { environment: ENV_CASES, crontab: SCHEDULE_CASES, "command line": CLI_CASES };
const ALL = Object.values(TABLE).flatMap((classes) => Object.values(classes).flat());
let outcomes = new Map<BadInput, Outcome>();

beforeAll(async () => {
  outcomes = await runCases(ALL);
}, 300_000);

describe(`bad input (${ALL.length} cases)`, () => {
  for (const [area, classes] of Object.entries(TABLE)) {
    for (const [name, cases] of Object.entries(classes)) {
      describe(`${area}: ${name}`, () => {
        for (const c of cases) {
          const verb = c.exit === 0 ? "accepts, showing it safely," : "refuses";
          it(`${verb} ${c.what} (exit ${c.exit})`, () => expectOutcome(c, outcomes.get(c)));
        }
      });
    }
  }
});
