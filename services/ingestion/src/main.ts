// Ingestion service: imports datasets into TFRecord shards + manifest (work queue steps ingest,
// ingest-count, ingest-select, ingest-write, ingest-commit; gRPC IngestionService.Ingest runs a
// whole ingest in one call). Env: NOISY_NATS_URL, NOISY_STORE_URL, NOISY_GRPC_PORT.
import { INGEST_STEPS } from '@noisy/contracts';
import { stagesPb } from '@noisy/contracts/grpc';
import { serviceMain, taskHandler } from '@noisy/host';

await serviceMain({
  name: 'ingestion',
  steps: INGEST_STEPS,
  ml: true,
  gpuRole: false,
  register: (server, ctx) =>
    server.addService(stagesPb.IngestionServiceService, { ingest: taskHandler('ingest', ctx) }),
});
