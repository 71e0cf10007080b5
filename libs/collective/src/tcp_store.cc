// TcpStore: request = op (1 byte: 'S' set, 'G' get, 'C' check) + key length (u32, big endian) +
// key [+ value length + value for 'S']; reply = status (1 byte: 1 found/ok, 0 absent)
// [+ value length + value for a found 'G']. Blocking sockets: it runs on a worker thread.
#include "tcp_store.h"

#include <gloo/common/error.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

namespace {

void writeAll(int fd, const char* p, size_t n, const std::string& where) {
  while (n > 0) {
    ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) throw gloo::IoException("rendezvous store " + where + ": send failed: " + std::strerror(errno));
    p += k;
    n -= static_cast<size_t>(k);
  }
}

void readAll(int fd, char* p, size_t n, const std::string& where) {
  while (n > 0) {
    ssize_t k = ::recv(fd, p, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) throw gloo::IoException("rendezvous store " + where + ": connection closed by rank 0");
    if (k < 0) throw gloo::IoException("rendezvous store " + where + ": recv failed: " + std::strerror(errno));
    p += k;
    n -= static_cast<size_t>(k);
  }
}

void putU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

int tryConnect(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

}  // namespace

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds connectTimeout)
    : where_(host + ":" + std::to_string(port)) {
  const auto deadline = std::chrono::steady_clock::now() + connectTimeout;
  while ((fd_ = tryConnect(host, port)) < 0) {
    if (std::chrono::steady_clock::now() > deadline)
      throw gloo::IoException("rendezvous store " + where_ + " (rank 0) unreachable after " +
                              std::to_string(connectTimeout.count()) + " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TcpStore::~TcpStore() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpStore::request(char op, const std::string& key, const std::vector<char>* value, std::vector<char>* reply,
                       char* status) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string msg(1, op);
  putU32(msg, static_cast<uint32_t>(key.size()));
  msg += key;
  if (value) {
    putU32(msg, static_cast<uint32_t>(value->size()));
    msg.append(value->data(), value->size());
  }
  writeAll(fd_, msg.data(), msg.size(), where_);
  readAll(fd_, status, 1, where_);
  if (reply && *status == 1) {
    unsigned char len[4];
    readAll(fd_, reinterpret_cast<char*>(len), 4, where_);
    const uint32_t n = (uint32_t(len[0]) << 24) | (uint32_t(len[1]) << 16) | (uint32_t(len[2]) << 8) | len[3];
    reply->resize(n);
    if (n > 0) readAll(fd_, reply->data(), n, where_);
  }
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  char status = 0;
  request('S', key, &data, nullptr, &status);
}

bool TcpStore::check(const std::string& key) {
  char status = 0;
  request('C', key, nullptr, nullptr, &status);
  return status == 1;
}

std::vector<char> TcpStore::get(const std::string& key) {
  wait({key});
  std::vector<char> out;
  char status = 0;
  request('G', key, nullptr, &out, &status);
  if (status != 1) throw gloo::IoException("rendezvous store " + where_ + ": key " + key + " vanished");
  return out;
}

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& key : keys) {
    while (!check(key)) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::ostringstream m;
        m << "Wait timeout for key " << key << " after " << timeout.count() << " ms (rendezvous store " << where_
          << ")";
        throw gloo::IoException(m.str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}
