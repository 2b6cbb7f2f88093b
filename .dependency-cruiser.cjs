// The layering of src/, checked by `npm run lint`: no import cycles, each layer imports only the
// layers below it, targets never reach report/, and one kind's folder never imports another's.
/** Layers from the bottom up; a file may import its own layer and the ones listed before it. */
const LAYERS = [
  ["core"],
  ["config"],
  ["docker", "restic"],
  ["report", "targets"],
  ["jobs"],
  ["http", "scheduler"],
  ["cli"],
];

const folder = (names) => `^src/(${names.join("|")})/`;
const forbidden = [
  { name: "no-cycle", severity: "error", comment: "Import cycles hide the layering.", from: { path: "^src/" }, to: { circular: true } },
  {
    name: "main-is-the-top",
    severity: "error",
    comment: "Nothing imports main.ts.",
    from: { path: "^src/" },
    to: { path: "^src/main\\.ts$" },
  },
  {
    name: "targets-return-results",
    severity: "error",
    comment: "Targets return what they did; jobs record metrics and pings (report/).",
    from: { path: "^src/targets/" },
    to: { path: "^src/report/" },
  },
  {
    name: "report-knows-no-kind",
    severity: "error",
    comment: "report/ names kinds through restic/tags.ts, never through a kind's folder.",
    from: { path: "^src/report/" },
    to: { path: "^src/targets/" },
  },
  {
    name: "one-kind-one-folder",
    severity: "error",
    comment: "A kind's folder imports shared pieces of targets/, never another kind's folder.",
    from: { path: "^src/targets/([^/]+)/" },
    to: { path: "^src/targets/[^/]+/", pathNot: "^src/targets/$1/" },
  },
  {
    name: "docker-and-restic-apart",
    severity: "error",
    comment: "docker/ and restic/ are siblings: neither imports the other.",
    from: { path: "^src/(docker|restic)/" },
    to: { path: "^src/(docker|restic)/", pathNot: "^src/$1/" },
  },
];
LAYERS.forEach((layer, i) => {
  const higher = LAYERS.slice(i + 1).flat();
  if (higher.length === 0) return;
  forbidden.push({
    name: `${layer.join("-")}-imports-downwards`,
    severity: "error",
    comment: `${layer.join(", ")} may import only ${LAYERS.slice(0, i + 1).flat().join(", ")}.`,
    from: { path: folder(layer) },
    to: { path: folder(higher) },
  });
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.build.json" },

  },
};
