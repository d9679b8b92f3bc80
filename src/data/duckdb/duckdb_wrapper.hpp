// RAII wrapper over DuckDB's C API: database, connection, prepared statement, streaming
// result, data chunk, appender, and C++ table functions. This folder is the only place
// that includes duckdb.h (only in the .cpp); every DuckDB failure becomes a DataError
// carrying DuckDB's message plus what we were doing.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct _duckdb_database;
struct _duckdb_connection;
struct _duckdb_prepared_statement;
struct _duckdb_data_chunk;
struct _duckdb_appender;

namespace ml4t::backtest::duck {

/// The column types the library reads and writes (a subset of DuckDB's).
enum class ColumnType {
  kOther,
  kBoolean,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat,
  kDouble,
  kDecimal,
  kTimestamp,     //!< naive, microseconds (taken as UTC)
  kTimestampTz,   //!< UTC, microseconds
  kTimestampS,    //!< seconds
  kTimestampMs,   //!< milliseconds
  kTimestampNs,   //!< nanoseconds
  kDate,          //!< days since epoch (int32)
  kVarchar,
};

/// DuckDB's SQL name of a type, for messages ("DOUBLE", "VARCHAR", ...).
std::string_view type_name(ColumnType type);
bool is_numeric(ColumnType type);
bool is_timestamp(ColumnType type);

/// Database settings applied at open.
struct DatabaseOptions {
  std::string memory_limit;    //!< e.g. "512MB"; empty = DuckDB's default (80% of RAM)
  std::string temp_directory;  //!< where spills go; empty = DuckDB's default
  int threads = 0;             //!< 0 = DuckDB's default (all cores)
};

/// An in-memory DuckDB instance. Non-copyable, movable.
class Database {
 public:
  explicit Database(const DatabaseOptions& options = {});
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  _duckdb_database* handle() const { return db_; }

 private:
  _duckdb_database* db_ = nullptr;
};

/// Inline read access to a flat VARCHAR vector, for hot loops (string_at is a call per
/// row). DuckDB's string record is 16 bytes: a uint32 length, then the bytes inline when
/// length <= 12, else a 4-byte prefix and a pointer (checked in the .cpp).
class StringColumn {
 public:
  explicit StringColumn(const void* data) : data_(static_cast<const char*>(data)) {}
  std::string_view operator[](size_t row) const {
    const char* rec = data_ + row * kRecordSize;
    uint32_t length = 0;
    std::memcpy(&length, rec, sizeof length);
    if (length <= kInlineLength) return {rec + 4, length};
    const char* ptr = nullptr;
    std::memcpy(&ptr, rec + 8, sizeof ptr);
    return {ptr, length};
  }
  /// The raw 16-byte record of `row`. DuckDB zero-pads inline strings, so two inline
  /// strings are equal exactly when their records are.
  const char* record(size_t row) const { return data_ + row * kRecordSize; }
  static constexpr size_t kRecordSize = 16;
  static constexpr uint32_t kInlineLength = 12;

 private:
  const char* data_;
};

/// A chunk of up to 2048 rows fetched from a result. Owns the DuckDB chunk.
class DataChunk {
 public:
  DataChunk() = default;
  explicit DataChunk(_duckdb_data_chunk* chunk);
  ~DataChunk();
  DataChunk(DataChunk&& other) noexcept;
  DataChunk& operator=(DataChunk&& other) noexcept;
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;

  explicit operator bool() const { return chunk_ != nullptr; }
  size_t size() const;
  size_t column_count() const;
  /// Raw column data; T must match the column's physical type.
  template <typename T>
  const T* data(size_t column) const {
    return static_cast<const T*>(raw_data(column));
  }
  /// The validity mask (nullptr when every row is valid).
  const uint64_t* validity(size_t column) const;
  static bool is_valid(const uint64_t* validity, size_t row) {
    return validity == nullptr || (validity[row / 64] >> (row % 64)) & 1;
  }
  /// The string at (column, row) of a VARCHAR column.
  std::string_view string_at(size_t column, size_t row) const;
  /// Inline access to a whole VARCHAR column (valid while the chunk lives).
  StringColumn strings(size_t column) const { return StringColumn(raw_data(column)); }

 private:
  const void* raw_data(size_t column) const;
  _duckdb_data_chunk* chunk_ = nullptr;
};

/// A query result, streaming or materialized. Read it chunk by chunk with fetch().
class Result {
 public:
  struct Handle;
  explicit Result(std::unique_ptr<Handle> handle);
  ~Result();
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;

  size_t column_count() const;
  std::string column_name(size_t column) const;
  ColumnType column_type(size_t column) const;
  /// DuckDB's SQL type of a column (e.g. "DECIMAL(18,3)"), for messages.
  std::string column_type_name(size_t column) const;
  /// The next chunk, or an empty chunk at the end. Throws DataError on a query error.
  DataChunk fetch();

 private:
  std::unique_ptr<Handle> handle_;
};

/// A prepared statement with positional parameters ($1, $2, ...; index from 1).
class PreparedStatement {
 public:
  PreparedStatement(_duckdb_prepared_statement* stmt, std::string context);
  ~PreparedStatement();
  PreparedStatement(PreparedStatement&&) noexcept;
  PreparedStatement& operator=(PreparedStatement&&) noexcept;
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  void bind(size_t index, int64_t value);
  void bind(size_t index, double value);
  void bind(size_t index, std::string_view value);
  /// Run and stream the result chunk by chunk (bounded memory).
  Result stream();
  /// Run and materialize the result.
  Result execute();

 private:
  _duckdb_prepared_statement* stmt_ = nullptr;
  std::string context_;
};

/// Receives the rows of a C++ table function, one output chunk at a time.
class OutputChunk {
 public:
  explicit OutputChunk(_duckdb_data_chunk* chunk) : chunk_(chunk) {}
  size_t capacity() const;
  template <typename T>
  T* column(size_t index) {
    return static_cast<T*>(raw_column(index));
  }
  void set_string(size_t column, size_t row, std::string_view value);
  void set_null(size_t column, size_t row);

 private:
  void* raw_column(size_t index);
  _duckdb_data_chunk* chunk_;
};

/// Produces the rows of a table function; `produce` fills up to capacity() rows and
/// returns how many it wrote, 0 when done. May throw; the message reaches the query.
class ChunkProducer {
 public:
  virtual ~ChunkProducer() = default;
  virtual size_t produce(OutputChunk& out) = 0;
};

struct ColumnSpec {
  std::string name;
  ColumnType type;
};

/// A connection. Not thread-safe; one per thread.
class Connection {
 public:
  explicit Connection(Database& db);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Run SQL and discard the result. `context` says what we were doing, for errors.
  void execute(const std::string& sql, std::string_view context = {});
  /// Run SQL and materialize the result.
  Result query(const std::string& sql, std::string_view context = {});
  /// Run SQL and stream the result.
  Result stream(const std::string& sql, std::string_view context = {});
  PreparedStatement prepare(const std::string& sql, std::string_view context = {});
  /// Make `SELECT * FROM name()` call `factory()` for a producer of rows with `columns`.
  /// The table function runs single-threaded, so its rows keep their order.
  void register_table_function(const std::string& name, std::vector<ColumnSpec> columns,
                               std::function<std::unique_ptr<ChunkProducer>()> factory);
  /// Ask a running query to stop (safe from another thread or a signal handler's helper).
  void interrupt();

  _duckdb_connection* handle() const { return con_; }

 private:
  _duckdb_connection* con_ = nullptr;
};

/// Row-by-row bulk insert into an existing table.
class Appender {
 public:
  Appender(Connection& con, const std::string& table);
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  Appender& append(double value);
  Appender& append(int64_t value);
  Appender& append(bool value);
  Appender& append(std::string_view value);
  /// A TIMESTAMP WITH TIME ZONE value from nanoseconds since the epoch (stored as micros).
  Appender& append_timestamp_ns(int64_t ns);
  Appender& append_null();
  void end_row();
  /// Flush and close; throws on failure (the destructor swallows errors).
  void close();

 private:
  void check(int state, std::string_view what);
  _duckdb_appender* appender_ = nullptr;
  std::string table_;
};

/// Quote an identifier for SQL ("my col" -> "\"my col\"").
std::string quote_identifier(std::string_view name);
/// Quote a string literal for SQL ('it''s').
std::string quote_literal(std::string_view value);

}  // namespace ml4t::backtest::duck
