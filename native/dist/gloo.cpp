// jnn_dist: the C API of native/include/jnn/dist.h over Gloo (Debian's libgloo-dev): one
// gloo::rendezvous::Context per group, connected with connectFullMesh over Gloo's TCP transport,
// and Gloo's own algorithms (allreduce, broadcast, allgather, barrier). Every Gloo exception is
// caught here and becomes the thread's last error.
#include "jnn/dist.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/config.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/transport/tcp/device.h>

#include "store_client.h"

namespace {

thread_local std::string lastError;

int fail(const std::string& message) {
  lastError = message;
  return -1;
}

struct Group {
  std::shared_ptr<gloo::rendezvous::Context> context;
  std::shared_ptr<gloo::transport::Device> device;
  int rank = 0, size = 1;
  uint32_t tag = 0;  // one per collective, as Gloo asks of operations that could overlap
};

std::mutex registryLock;
std::unordered_map<int64_t, std::shared_ptr<Group>> registry;
std::atomic<int64_t> nextHandle{1};

std::shared_ptr<Group> find(int64_t handle) {
  std::lock_guard<std::mutex> lock(registryLock);
  auto it = registry.find(handle);
  return it == registry.end() ? nullptr : it->second;
}

// Runs one collective: unknown handles and every exception become the last error.
template <typename F>
int run(int64_t handle, const char* what, F&& body) {
  std::shared_ptr<Group> g = find(handle);
  if (!g) return fail(std::string(what) + ": no live Gloo group with handle " + std::to_string(handle));
  try {
    body(*g);
    lastError.clear();
    return 0;
  } catch (const std::exception& e) {
    return fail(std::string(what) + ": " + e.what());
  } catch (...) {
    return fail(std::string(what) + ": unknown exception");
  }
}

}  // namespace

extern "C" {

const char* jnn_dist_last_error(void) { return lastError.c_str(); }

int jnn_dist_has_gloo(void) { return 1; }

const char* jnn_gloo_version(void) {
  static const std::string v = "gloo " + std::to_string(GLOO_VERSION_MAJOR) + "." + std::to_string(GLOO_VERSION_MINOR) + "."
      + std::to_string(GLOO_VERSION_PATCH) + " (tcp transport)";
  return v.c_str();
}

int64_t jnn_gloo_create(int rank, int size, const char* store_host, int store_port, const char* prefix,
                        const char* hostname, const char* iface, int64_t timeout_ms) {
  if (size < 1 || rank < 0 || rank >= size || store_host == nullptr || prefix == nullptr || timeout_ms <= 0
      || store_port < 1 || store_port > 65535) {
    fail("jnn_gloo_create: bad arguments (rank " + std::to_string(rank) + " of " + std::to_string(size) + ")");
    return 0;
  }
  try {
    auto timeout = std::chrono::milliseconds(timeout_ms);
    gloo::transport::tcp::attr attr;
    if (iface != nullptr && iface[0] != '\0') attr.iface = iface;
    else attr.hostname = hostname != nullptr && hostname[0] != '\0' ? hostname : "127.0.0.1";
    auto g = std::make_shared<Group>();
    g->rank = rank;
    g->size = size;
    g->device = gloo::transport::tcp::CreateDevice(attr);
    g->context = std::make_shared<gloo::rendezvous::Context>(rank, size);
    g->context->setTimeout(timeout);
    {
      // the store connection is needed only to exchange addresses: closed when connected
      jnn::StoreClient store(store_host, store_port, std::string(prefix) + "gloo/", timeout);
      g->context->connectFullMesh(store, g->device);
    }
    int64_t handle = nextHandle.fetch_add(1);
    std::lock_guard<std::mutex> lock(registryLock);
    registry.emplace(handle, std::move(g));
    lastError.clear();
    return handle;
  } catch (const std::exception& e) {
    fail(std::string("connecting rank ") + std::to_string(rank) + " of " + std::to_string(size) + " (Gloo connectFullMesh): " + e.what());
  } catch (...) {
    fail("connecting rank " + std::to_string(rank) + ": unknown exception");
  }
  return 0;
}

int jnn_gloo_allreduce_f32(int64_t group, float* buf, int64_t n, int op) {
  if (buf == nullptr || n < 0 || (op != JNN_DIST_SUM && op != JNN_DIST_AVG)) return fail("allreduce: bad arguments");
  return run(group, "allreduce", [&](Group& g) {
    if (n == 0) return;
    gloo::AllreduceOptions opts(g.context);
    opts.setOutput(buf, static_cast<size_t>(n));
    opts.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
    opts.setTag(g.tag++);
    gloo::allreduce(opts);
    if (op == JNN_DIST_AVG) {
      const float inv = 1.0f / static_cast<float>(g.size);
      // SUM / size as PyTorch's Gloo backend does it (a division, so a power-of-two world is exact)
      if (g.size & (g.size - 1)) for (int64_t i = 0; i < n; i++) buf[i] /= static_cast<float>(g.size);
      else for (int64_t i = 0; i < n; i++) buf[i] *= inv;
    }
  });
}

int jnn_gloo_broadcast_f32(int64_t group, float* buf, int64_t n, int root) {
  if (buf == nullptr || n < 0) return fail("broadcast: bad arguments");
  return run(group, "broadcast", [&](Group& g) {
    if (root < 0 || root >= g.size) throw std::invalid_argument("root " + std::to_string(root) + " out of range");
    if (n == 0) return;
    gloo::BroadcastOptions opts(g.context);
    opts.setOutput(buf, static_cast<size_t>(n));
    opts.setRoot(root);
    opts.setTag(g.tag++);
    gloo::broadcast(opts);
  });
}

int jnn_gloo_allgather_f32(int64_t group, const float* in, float* out, int64_t n) {
  if (in == nullptr || out == nullptr || n < 0) return fail("allgather: bad arguments");
  return run(group, "allgather", [&](Group& g) {
    if (n == 0) return;
    gloo::AllgatherOptions opts(g.context);
    float* slot = out + static_cast<int64_t>(g.rank) * n;
    // in at its own slot of out: in place (Gloo copies the input into the slot only when one is set)
    if (in != slot) opts.setInput(const_cast<float*>(in), static_cast<size_t>(n));
    opts.setOutput(out, static_cast<size_t>(n) * static_cast<size_t>(g.size));
    opts.setTag(g.tag++);
    gloo::allgather(opts);
  });
}

int jnn_gloo_barrier(int64_t group) {
  return run(group, "barrier", [&](Group& g) {
    gloo::BarrierOptions opts(g.context);
    opts.setTag(g.tag++);
    gloo::barrier(opts);
  });
}

int jnn_gloo_set_timeout(int64_t group, int64_t timeout_ms) {
  if (timeout_ms <= 0) return fail("set_timeout: timeout must be positive");
  return run(group, "set_timeout", [&](Group& g) { g.context->setTimeout(std::chrono::milliseconds(timeout_ms)); });
}

int jnn_gloo_destroy(int64_t group) {
  std::shared_ptr<Group> g;
  {
    std::lock_guard<std::mutex> lock(registryLock);
    auto it = registry.find(group);
    if (it == registry.end()) return fail("destroy: no live Gloo group with handle " + std::to_string(group));
    g = std::move(it->second);
    registry.erase(it);
  }
  try {
    g.reset();  // closes the pairs' sockets and the device's listener
  } catch (const std::exception& e) {
    return fail(std::string("destroy: ") + e.what());
  }
  lastError.clear();
  return 0;
}

}  // extern "C"
