// Owning an output folder while results are moved into it. Two processes (or two threads)
// writing into one folder at once would each believe it holds the results; a claim makes
// the second one fail with a clear message instead. The claim is an flock() on a hidden
// lock file, so the kernel releases it when its owner dies, even by SIGKILL, and the
// next writer cleans up what the dead one left.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ml4t::backtest {

/// The hidden names the writer uses inside an output folder (lock file, staging folders).
/// They do not count when deciding whether a folder is empty.
bool is_writer_entry(const std::filesystem::path& name);

/// Remove staging folders (`.ml4t-partial-<pid>`) whose process is gone: a run killed
/// while writing leaves one behind. Safe without a claim (a dead process writes nothing).
void remove_dead_staging(const std::filesystem::path& dir);

/// True when `dir` holds nothing but the writer's own hidden entries.
bool output_dir_is_empty(const std::filesystem::path& dir);

/// An exclusive claim on an output folder, held until destruction. While it is held no
/// other claim on the folder succeeds, in this or another process.
class OutputClaim {
 public:
  /// Create `dir` if needed and claim it; remove every staging folder left in it (no
  /// other writer can be active while we hold the claim) and create a fresh one. Unless
  /// `overwrite`, the folder must be empty once claimed. `overwrite_hint` is how the
  /// caller spells the overwrite switch in messages ("--overwrite", "overwrite=True").
  /// Throws OutputError when another writer holds the folder or it is not empty.
  OutputClaim(const std::filesystem::path& dir, bool overwrite, const std::string& overwrite_hint);
  ~OutputClaim();
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;

  /// The empty hidden folder to write files into before they are renamed into `dir`.
  const std::filesystem::path& staging() const { return staging_; }

  /// Move every staged file into the folder (a rename replaces an earlier file of the
  /// same name in one step, so each name always holds a whole file); with `overwrite`,
  /// then remove the files of `result_names` this run did not produce (e.g. the CSVs of
  /// an earlier run). Returns the moved files' paths, sorted. Throws OutputError.
  std::vector<std::filesystem::path> commit(bool overwrite, const std::vector<std::string>& result_names);

  /// Remove the staging folder and the lock file now (any thread, never throws), for a
  /// process about to exit without unwinding; the kernel drops the lock itself.
  void discard_now() noexcept;

  /// Whether a claim that ends without a commit also removes the output folder it
  /// created (when nothing else was put there): a run that fails leaves no trace.
  void set_remove_created_folder(bool remove) { remove_created_ = remove; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path lock_path_;
  std::filesystem::path staging_;
  int fd_ = -1;
  bool created_ = false;  //!< the folder did not exist before this claim
  bool remove_created_ = false;
  bool committed_ = false;
};

}  // namespace ml4t::backtest
