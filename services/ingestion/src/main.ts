// Ingestion service: imports datasets into TFRecord shards + manifest (work queue step `ingest`,
// gRPC IngestionService.Ingest). Env: NOISY_NATS_URL, NOISY_STORE_URL, NOISY_GRPC_PORT.
import { stagesPb } from '@noisy/contracts/grpc';
import { serviceMain, taskHandler } from '@noisy/host';

await serviceMain({
  name: 'ingestion',
  steps: ['ingest'],
  ml: true,
  gpuRole: false,
  register: (server, ctx) =>
    server.addService(stagesPb.IngestionServiceService, { ingest: taskHandler('ingest', ctx) }),
});
