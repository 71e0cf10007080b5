// A gloo::rendezvous::Store client for the small key-value server that rank 0 hosts
// (src/tcp-store-server.ts). This Gloo version ships FileStore, HashStore and RedisStore but no
// TCP store, and the ranks of a Kubernetes gang share no filesystem: rank 0's address behind
// the headless Service's DNS name is the one thing they all know. Only rendezvous goes through
// it (a few hundred bytes of addresses per rank); the collectives run on Gloo's TCP pairs.
#pragma once

#include <gloo/rendezvous/store.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

class TcpStore : public gloo::rendezvous::Store {
 public:
  // Connects to host:port, retrying until `connectTimeout` (rank 0 may start later, and its DNS
  // record appears only once its pod runs).
  TcpStore(const std::string& host, int port, std::chrono::milliseconds connectTimeout);
  ~TcpStore() override;

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override { wait(keys, kDefaultTimeout); }
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
  /** Whether `key` is set now (no waiting). */
  bool check(const std::string& key);

 private:
  void request(char op, const std::string& key, const std::vector<char>* value, std::vector<char>* reply, char* status);
  int fd_ = -1;
  std::string where_;
  std::mutex mu_;
};
