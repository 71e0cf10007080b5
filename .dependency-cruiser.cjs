// Import rules that eslint cannot see across files (`npm run lint` runs both):
//  - no import cycle anywhere in libs/, type-only imports included (a schema that imports the
//    code it describes is a cycle even when it vanishes at compile time);
//  - libs/pipeline's layers import one way: analysis <- records <- stages <- report <- orchestration
//    (a layer imports only layers before it). Tests may reach further up (an integration test of a
//    stage drives it through a controller).
const layers = ['analysis', 'records', 'stages', 'report', 'orchestration'];
const pipeline = (layer) => `^libs/pipeline/src/${layer}/`;
const upward = layers.map((layer, i) => ({
  name: `pipeline-${layer}-imports-one-way`,
  comment: `libs/pipeline/src/${layer} may import only ${layers.slice(0, i + 1).join(', ')}`,
  severity: 'error',
  from: { path: pipeline(layer), pathNot: '\\.test\\.ts$' },
  to: { path: `^libs/pipeline/src/(${layers.slice(i + 1).join('|') || 'none-above'})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: break it with a registry that composes the parts, or move the shared type down.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { circular: true },
    },
    ...upward.filter((r) => !r.to.path.includes('none-above')),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|/gen/|/dist/|/build/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    combinedDependencies: true,
  },
};
