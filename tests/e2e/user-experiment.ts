// The tiny experiment the user-command tests run (a synthetic set of 3 classes, teacher + 1 student).
export const usersExperiment = `
name: users
seed: 2
data: { source: { kind: synthetic, classes: 3, size: 10, train: 150, test: 30 }, labeledPerClass: 10, unlabeledShards: 2 }
train: { epochs: 12, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students: [ { model: { name: cnn-small, width: 0.5 }, train: { unlabelRatio: 1 } } ]
`;
