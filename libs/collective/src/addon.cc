// Gloo collectives for Node (N-API). Gloo is the library PyTorch's and Horovod's CPU paths use;
// nothing here reduces numbers itself: allreduce is gloo::allreduce (ring, sum of float32, in
// place), and broadcast, barrier and allgather are Gloo's too.
//
// Every call returns a Promise and runs on libuv's thread pool (napi async work), so the event
// loop stays free while a collective waits on peers: progress reporting and signal handling go
// on, and rank 0's rendezvous server (tcp-store-server.ts, on this same event loop) can answer
// the other ranks while rank 0 itself is inside connect(). Nothing waits forever: rendezvous and
// every collective carry Gloo's context timeout, and a peer that dies closes its TCP pairs, which
// fails the pending operation at once.
//
// connect(opts) -> Promise<handle>; allreduce(h, Float32Array); broadcast(h, Float32Array, root);
// barrier(h); allgather(h, input TypedArray, output TypedArray); close(h). Errors carry `code`:
// JOIN (a rank never joined the rendezvous; message names the ranks), TIMEOUT, IO (peer gone),
// BROKEN (an earlier failure left the communicator unusable), GLOO (anything else).
#include <node_api.h>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/config.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tcp_store.h"

namespace {

using ms = std::chrono::milliseconds;

struct CollectiveError : std::runtime_error {
  std::string code;
  CollectiveError(std::string c, const std::string& m) : std::runtime_error(m), code(std::move(c)) {}
};

// FileStore's check() is protected; rendezvous needs it to name the ranks that are missing.
struct OpenFileStore : gloo::rendezvous::FileStore {
  using gloo::rendezvous::FileStore::FileStore;
  bool has(const std::string& key) { return check({key}); }
};

// Prefixes every key with the attempt's rendezvous id, so that a retried attempt never reads the
// addresses of a failed one, and exposes a non-blocking `has`.
class Keyed : public gloo::rendezvous::Store {
 public:
  Keyed(std::unique_ptr<gloo::rendezvous::Store> base, std::function<bool(const std::string&)> has, std::string prefix)
      : base_(std::move(base)), has_(std::move(has)), prefix_(std::move(prefix)) {}
  void set(const std::string& k, const std::vector<char>& v) override { base_->set(key(k), v); }
  std::vector<char> get(const std::string& k) override { return base_->get(key(k)); }
  void wait(const std::vector<std::string>& ks) override { base_->wait(keys(ks)); }
  void wait(const std::vector<std::string>& ks, const ms& t) override { base_->wait(keys(ks), t); }
  bool has(const std::string& k) { return has_(key(k)); }

 private:
  std::string key(const std::string& k) const { return prefix_ + "/" + k; }
  std::vector<std::string> keys(const std::vector<std::string>& ks) const {
    std::vector<std::string> out;
    for (const auto& k : ks) out.push_back(key(k));
    return out;
  }
  std::unique_ptr<gloo::rendezvous::Store> base_;
  std::function<bool(const std::string&)> has_;
  std::string prefix_;
};

struct Comm {
  std::shared_ptr<gloo::rendezvous::Context> ctx;
  int rank = 0, size = 1;
  uint32_t tag = 0;
  std::string broken;  // why the communicator is unusable; empty while healthy
};

struct ConnectOptions {
  int rank = 0, size = 1;
  std::string storeKind, path, host, hostname, prefix;
  int port = 0;
  ms timeout{30000}, joinTimeout{60000};
};

// Every rank announces itself, then waits for all others until joinTimeout; the error names the
// ranks that never came (Gloo's own wait would only say which key it waited for).
void join(Keyed& store, const ConnectOptions& o) {
  store.set("join/" + std::to_string(o.rank), std::vector<char>{'1'});
  const auto deadline = std::chrono::steady_clock::now() + o.joinTimeout;
  for (;;) {
    std::vector<int> missing;
    for (int r = 0; r < o.size; r++)
      if (!store.has("join/" + std::to_string(r))) missing.push_back(r);
    if (missing.empty()) return;
    if (std::chrono::steady_clock::now() > deadline) {
      std::ostringstream m;
      m << "rank" << (missing.size() > 1 ? "s " : " ");
      for (size_t i = 0; i < missing.size(); i++) m << (i ? ", " : "") << missing[i];
      m << " of " << o.size << " did not join the rendezvous within " << o.joinTimeout.count() << " ms";
      throw CollectiveError("JOIN", m.str());
    }
    std::this_thread::sleep_for(ms(20));
  }
}

std::unique_ptr<Comm> connect(const ConnectOptions& o) {
  std::unique_ptr<Keyed> store;
  if (o.storeKind == "file") {
    auto fs = std::make_shared<OpenFileStore>(o.path);
    struct Owned : gloo::rendezvous::Store {  // shares the FileStore with the `has` closure
      std::shared_ptr<OpenFileStore> fs;
      explicit Owned(std::shared_ptr<OpenFileStore> f) : fs(std::move(f)) {}
      void set(const std::string& k, const std::vector<char>& v) override { fs->set(k, v); }
      std::vector<char> get(const std::string& k) override { return fs->get(k); }
      void wait(const std::vector<std::string>& ks) override { fs->wait(ks); }
      void wait(const std::vector<std::string>& ks, const ms& t) override { fs->wait(ks, t); }
    };
    store = std::make_unique<Keyed>(std::make_unique<Owned>(fs), [fs](const std::string& k) { return fs->has(k); },
                                    o.prefix);
  } else {
    std::shared_ptr<TcpStore> ts;
    try {
      ts = std::make_shared<TcpStore>(o.host, o.port, o.joinTimeout);
    } catch (const gloo::IoException& e) {  // rank 0 hosts the store: it is the rank that is missing
      throw CollectiveError("JOIN", "rank 0 of " + std::to_string(o.size) + " did not join the rendezvous: " + e.what());
    }
    struct Owned : gloo::rendezvous::Store {
      std::shared_ptr<TcpStore> ts;
      explicit Owned(std::shared_ptr<TcpStore> t) : ts(std::move(t)) {}
      void set(const std::string& k, const std::vector<char>& v) override { ts->set(k, v); }
      std::vector<char> get(const std::string& k) override { return ts->get(k); }
      void wait(const std::vector<std::string>& ks) override { ts->wait(ks); }
      void wait(const std::vector<std::string>& ks, const ms& t) override { ts->wait(ks, t); }
    };
    store = std::make_unique<Keyed>(std::make_unique<Owned>(ts), [ts](const std::string& k) { return ts->check(k); },
                                    o.prefix);
  }
  join(*store, o);
  gloo::transport::tcp::attr attr;
  attr.hostname = o.hostname;
  auto dev = gloo::transport::tcp::CreateDevice(attr);
  auto comm = std::make_unique<Comm>();
  comm->rank = o.rank;
  comm->size = o.size;
  comm->ctx = std::make_shared<gloo::rendezvous::Context>(o.rank, o.size);
  comm->ctx->setTimeout(o.timeout);
  comm->ctx->connectFullMesh(*store, dev);
  return comm;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// ---- N-API plumbing ---------------------------------------------------------------------------

#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, nullptr, "@noisy/collective: " #call); \
      return nullptr;                                                  \
    }                                                                  \
  } while (0)

struct Job {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::vector<napi_ref> refs;  // keep typed arrays and the handle alive while the work runs
  std::function<void()> run;
  Comm* comm = nullptr;                 // the communicator an operation runs on
  std::unique_ptr<Comm> connected;      // connect()'s result
  std::string error, code;
};

void finalizeComm(napi_env, void* data, void*) { delete static_cast<Comm*>(data); }

void execute(napi_env, void* data) {
  auto* job = static_cast<Job*>(data);
  try {
    if (job->comm && !job->comm->broken.empty())
      throw CollectiveError("BROKEN", "the communicator failed earlier (" + job->comm->broken + "); start a new attempt");
    job->run();
    return;
  } catch (const CollectiveError& e) {
    job->code = e.code;
    job->error = e.what();
  } catch (const gloo::IoException& e) {
    job->error = e.what();
    const auto m = lower(job->error);
    job->code = m.find("timed out") != std::string::npos || m.find("timeout") != std::string::npos ? "TIMEOUT" : "IO";
  } catch (const std::exception& e) {
    job->code = "GLOO";
    job->error = e.what();
  }
  if (job->comm && job->code != "BROKEN") job->comm->broken = job->code + ": " + job->error;
}

void complete(napi_env env, napi_status, void* data) {
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  for (auto ref : job->refs) napi_delete_reference(env, ref);
  napi_delete_async_work(env, job->work);
  if (!job->error.empty()) {
    napi_value msg, code, err;
    napi_create_string_utf8(env, job->error.c_str(), job->error.size(), &msg);
    napi_create_string_utf8(env, job->code.c_str(), job->code.size(), &code);
    napi_create_error(env, code, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
    return;
  }
  napi_value result;
  if (job->connected) {
    napi_create_external(env, job->connected.release(), finalizeComm, nullptr, &result);
  } else {
    napi_get_undefined(env, &result);
  }
  napi_resolve_deferred(env, job->deferred, result);
}

napi_value queue(napi_env env, std::unique_ptr<Job> job, const char* name) {
  napi_value promise, resource;
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource));
  CHECK(napi_create_async_work(env, nullptr, resource, execute, complete, job.get(), &job->work));
  CHECK(napi_queue_async_work(env, job->work));
  job.release();
  return promise;
}

bool getProp(napi_env env, napi_value obj, const char* key, napi_value* out) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return false;
  return napi_get_named_property(env, obj, key, out) == napi_ok;
}

std::string strProp(napi_env env, napi_value obj, const char* key) {
  napi_value v;
  if (!getProp(env, obj, key, &v)) return "";
  size_t n = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  std::string s(n, '\0');
  napi_get_value_string_utf8(env, v, s.data(), n + 1, &n);
  return s;
}

double numProp(napi_env env, napi_value obj, const char* key, double fallback) {
  napi_value v;
  double d = fallback;
  if (getProp(env, obj, key, &v)) napi_get_value_double(env, v, &d);
  return d;
}

Comm* commArg(napi_env env, napi_value v, Job& job) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) return nullptr;
  napi_ref ref;
  napi_create_reference(env, v, 1, &ref);
  job.refs.push_back(ref);
  return static_cast<Comm*>(p);
}

// Pointer and byte length of a typed array, which the job keeps alive until it completes.
bool bytesArg(napi_env env, napi_value v, Job& job, void** data, size_t* bytes, napi_typedarray_type want, bool any) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  napi_value buffer;
  if (napi_get_typedarray_info(env, v, &type, &length, data, &buffer, &offset) != napi_ok) return false;
  if (!any && type != want) return false;
  size_t elem = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  *bytes = length * elem;
  napi_ref ref;
  napi_create_reference(env, v, 1, &ref);
  job.refs.push_back(ref);
  return true;
}

napi_value args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < want) {
    napi_throw_type_error(env, nullptr, "@noisy/collective: too few arguments");
    return nullptr;
  }
  return argv[0];
}

napi_value Connect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  ConnectOptions o;
  o.rank = static_cast<int>(numProp(env, argv[0], "rank", 0));
  o.size = static_cast<int>(numProp(env, argv[0], "size", 1));
  o.storeKind = strProp(env, argv[0], "store");
  o.path = strProp(env, argv[0], "path");
  o.host = strProp(env, argv[0], "host");
  o.port = static_cast<int>(numProp(env, argv[0], "port", 0));
  o.hostname = strProp(env, argv[0], "hostname");
  o.prefix = strProp(env, argv[0], "prefix");
  o.timeout = ms(static_cast<int64_t>(numProp(env, argv[0], "timeoutMs", 30000)));
  o.joinTimeout = ms(static_cast<int64_t>(numProp(env, argv[0], "joinTimeoutMs", 60000)));
  if (o.storeKind != "file" && o.storeKind != "tcp") {
    napi_throw_type_error(env, nullptr, "@noisy/collective: store must be 'file' or 'tcp'");
    return nullptr;
  }
  auto job = std::make_unique<Job>();
  Job* j = job.get();
  j->run = [j, o] { j->connected = connect(o); };
  return queue(env, std::move(job), "gloo.connect");
}

napi_value Allreduce(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return nullptr;
  auto job = std::make_unique<Job>();
  void* data = nullptr;
  size_t bytes = 0;
  job->comm = commArg(env, argv[0], *job);
  if (!job->comm || !bytesArg(env, argv[1], *job, &data, &bytes, napi_float32_array, false)) {
    napi_throw_type_error(env, nullptr, "@noisy/collective: allreduce(handle, Float32Array)");
    return nullptr;
  }
  Comm* c = job->comm;
  job->run = [c, data, bytes] {
    gloo::AllreduceOptions opts(c->ctx);
    opts.setOutput(static_cast<float*>(data), bytes / sizeof(float));
    opts.setAlgorithm(gloo::AllreduceOptions::Algorithm::RING);
    opts.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
    opts.setTag(c->tag++);
    gloo::allreduce(opts);
  };
  return queue(env, std::move(job), "gloo.allreduce");
}

napi_value Broadcast(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return nullptr;
  auto job = std::make_unique<Job>();
  void* data = nullptr;
  size_t bytes = 0;
  int32_t root = 0;
  job->comm = commArg(env, argv[0], *job);
  if (!job->comm || !bytesArg(env, argv[1], *job, &data, &bytes, napi_float32_array, false) ||
      napi_get_value_int32(env, argv[2], &root) != napi_ok) {
    napi_throw_type_error(env, nullptr, "@noisy/collective: broadcast(handle, Float32Array, root)");
    return nullptr;
  }
  Comm* c = job->comm;
  job->run = [c, data, bytes, root] {
    gloo::BroadcastOptions opts(c->ctx);
    if (c->rank == root) opts.setInput(static_cast<float*>(data), bytes / sizeof(float));
    opts.setOutput(static_cast<float*>(data), bytes / sizeof(float));
    opts.setRoot(root);
    opts.setTag(c->tag++);
    gloo::broadcast(opts);
  };
  return queue(env, std::move(job), "gloo.broadcast");
}

napi_value Barrier(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  auto job = std::make_unique<Job>();
  job->comm = commArg(env, argv[0], *job);
  if (!job->comm) {
    napi_throw_type_error(env, nullptr, "@noisy/collective: barrier(handle)");
    return nullptr;
  }
  Comm* c = job->comm;
  job->run = [c] {
    gloo::BarrierOptions opts(c->ctx);
    opts.setTag(c->tag++);
    gloo::barrier(opts);
  };
  return queue(env, std::move(job), "gloo.barrier");
}

napi_value Allgather(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return nullptr;
  auto job = std::make_unique<Job>();
  void *in = nullptr, *out = nullptr;
  size_t inBytes = 0, outBytes = 0;
  job->comm = commArg(env, argv[0], *job);
  if (!job->comm || !bytesArg(env, argv[1], *job, &in, &inBytes, napi_uint8_array, true) ||
      !bytesArg(env, argv[2], *job, &out, &outBytes, napi_uint8_array, true) ||
      outBytes != inBytes * static_cast<size_t>(job->comm->size)) {
    napi_throw_type_error(env, nullptr, "@noisy/collective: allgather(handle, input, output of size x input bytes)");
    return nullptr;
  }
  Comm* c = job->comm;
  job->run = [c, in, out, inBytes, outBytes] {
    gloo::AllgatherOptions opts(c->ctx);
    opts.setInput(static_cast<uint8_t*>(in), inBytes);
    opts.setOutput(static_cast<uint8_t*>(out), outBytes);
    opts.setTag(c->tag++);
    gloo::allgather(opts);
  };
  return queue(env, std::move(job), "gloo.allgather");
}

// Drops the context (closes its pairs). Synchronous: it does not wait on peers.
napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return nullptr;
  void* p = nullptr;
  if (napi_get_value_external(env, argv[0], &p) == napi_ok && p) {
    auto* c = static_cast<Comm*>(p);
    c->ctx.reset();
    c->broken = "closed";
  }
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

napi_value Version(napi_env env, napi_callback_info) {
  std::string v = "Gloo " + std::to_string(GLOO_VERSION_MAJOR) + "." + std::to_string(GLOO_VERSION_MINOR) + "." +
                  std::to_string(GLOO_VERSION_PATCH) + " (tcp)";
  napi_value out;
  napi_create_string_utf8(env, v.c_str(), v.size(), &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"connect", nullptr, Connect, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allreduce", nullptr, Allreduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allgather", nullptr, Allgather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
