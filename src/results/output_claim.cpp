// See output_claim.hpp. The lock file is opened, flock()ed, then checked to still be the
// file at its path: a previous owner unlinks it before releasing, and a process that
// opened the old file meanwhile must not believe it holds the new one.
#include "ml4t/backtest/results/output_claim.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLockName = ".ml4t-lock";
constexpr std::string_view kStagingPrefix = ".ml4t-partial-";

// The pid a staging folder's name carries, or 0.
pid_t staging_pid(const std::string& name) {
  if (name.rfind(kStagingPrefix, 0) != 0) return 0;
  long pid = 0;
  const char* begin = name.data() + kStagingPrefix.size();
  const char* end = name.data() + name.size();
  const auto res = std::from_chars(begin, end, pid);
  if (res.ec != std::errc() || res.ptr != end || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

std::string read_owner(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return {};
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

bool is_writer_entry(const fs::path& name) {
  const std::string n = name.filename().string();
  return n == kLockName || n.rfind(kStagingPrefix, 0) == 0;
}

void remove_dead_staging(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const pid_t pid = staging_pid(it->path().filename().string());
    std::error_code ignored;
    if (pid != 0 && !process_alive(pid)) fs::remove_all(it->path(), ignored);
  }
}

bool output_dir_is_empty(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!is_writer_entry(it->path())) return false;
  }
  return true;
}

OutputClaim::OutputClaim(const fs::path& dir, bool overwrite, const std::string& overwrite_hint)
    : dir_(dir), lock_path_(dir / std::string(kLockName)) {
  std::error_code ec;
  created_ = !fs::exists(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) {
    throw OutputError(fmt::format("cannot create output folder {}: {}; choose a writable --out (or output.dir)",
                                  dir.string(), ec.message()));
  }
  for (;;) {
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      const std::error_code why(errno, std::generic_category());
      throw OutputError(fmt::format("cannot create {}: {}; choose a writable --out (or output.dir)",
                                    lock_path_.string(), why.message()));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const std::string owner = read_owner(fd_);
      ::close(fd_);
      fd_ = -1;
      throw OutputError(fmt::format("output folder {} is being written by another run{}; wait for it to finish, "
                                    "or choose another output folder",
                                    dir.string(), owner.empty() ? "" : fmt::format(" (process {})", owner)));
    }
    struct stat held {}, at_path {};
    if (::fstat(fd_, &held) == 0 && ::stat(lock_path_.c_str(), &at_path) == 0 && held.st_ino == at_path.st_ino &&
        held.st_dev == at_path.st_dev) {
      break;
    }
    ::close(fd_);  // the previous owner removed this file while we waited: take the new one
    fd_ = -1;
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }

  try {
    // Holding the claim, every staging folder is a leftover of a writer that died.
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code ignored;
      if (staging_pid(it->path().filename().string()) != 0) fs::remove_all(it->path(), ignored);
    }
    if (!overwrite && !output_dir_is_empty(dir)) {
      throw OutputError(fmt::format("output folder {} is not empty; pass {} to replace earlier results, or choose "
                                    "another output folder",
                                    dir.string(), overwrite_hint));
    }
    staging_ = dir / fmt::format("{}{}", kStagingPrefix, pid);
    fs::create_directory(staging_, ec);
    if (ec) {
      throw OutputError(fmt::format("cannot create {}: {}; choose a writable --out (or output.dir)",
                                    staging_.string(), ec.message()));
    }
  } catch (...) {
    ::unlink(lock_path_.c_str());
    ::close(fd_);
    throw;
  }
}

std::vector<fs::path> OutputClaim::commit(bool overwrite, const std::vector<std::string>& result_names) {
  std::error_code ec;
  std::vector<fs::path> written;
  for (const auto& entry : fs::directory_iterator(staging_)) {
    const fs::path target = dir_ / entry.path().filename();
    fs::rename(entry.path(), target, ec);
    if (ec) {
      throw OutputError(fmt::format("moving {} into {} failed: {}", entry.path().string(), dir_.string(), ec.message()));
    }
    written.push_back(target);
  }
  if (overwrite) {
    for (const auto& name : result_names) {
      if (std::find(written.begin(), written.end(), dir_ / name) == written.end()) fs::remove(dir_ / name, ec);
    }
  }
  std::sort(written.begin(), written.end());
  committed_ = true;
  return written;
}

void OutputClaim::discard_now() noexcept {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
  ::unlink(lock_path_.c_str());
}

OutputClaim::~OutputClaim() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
  // Unlink before unlocking: a waiter that opened this file sees it is gone and retries.
  ::unlink(lock_path_.c_str());
  ::close(fd_);
  if (created_ && remove_created_ && !committed_) fs::remove(dir_, ec);  // only when empty
}

}  // namespace ml4t::backtest
