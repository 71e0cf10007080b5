// @noisy/deploy: render and validate the Helm chart and the plain Kubernetes manifests.
export * from './k8s-validate.js';
export * from './render.js';
