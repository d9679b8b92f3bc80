#include "data/duckdb/duckdb_wrapper.hpp"

#include <duckdb.h>
#include <fmt/format.h>

#include <cstring>
#include <string>
#include <utility>

#include "data/duckdb/error_translation.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::duck {

static_assert(sizeof(duckdb_string_t) == StringColumn::kRecordSize, "StringColumn assumes DuckDB's 16-byte string_t");

namespace {

// DuckDB's message as one paragraph a user can act on. DuckDB appends where in the SQL an
// error arose ("\n\nLINE 1: SELECT ...\n    ^"): our internal query, nothing a user can act
// on, and it splits the message into paragraphs.
std::string without_sql_pointer(std::string_view message) {
  std::string out(message);
  if (const size_t at = out.find("\n\nLINE "); at != std::string::npos) {
    const size_t caret = out.find('^', at);
    out.erase(at, caret == std::string::npos ? std::string::npos : caret + 1 - at);
  }
  for (size_t blank; (blank = out.find("\n\n")) != std::string::npos;) out.erase(blank, 1);
  return out;
}

[[noreturn]] void fail(std::string_view what, std::string_view context, std::string_view duckdb_message) {
  const std::string raw = without_sql_pointer(duckdb_message);
  if (raw.find("Out of Memory Error") != std::string::npos) {
    // DuckDB's advice is a list of SQL SETs our users cannot type; say which of our settings helps.
    std::string first = raw.substr(0, raw.find("\nPossible solutions:"));
    for (char& c : first) c = c == '\n' ? ' ' : c;
    throw DataError(fmt::format(
        "{} ({}): {}; raise the memory limit (resources.memory_limit in the config, or --set "
        "resources.memory_limit=4GB on run/validate/events, --memory-limit on inspect/optimize) or leave it unset: "
        "DuckDB needs a few tens of MB to read at all (its CSV reader alone about 32 MB)",
        what, context, first));
  }
  const TranslatedError t = translate_error(raw, context);
  if (t.recognized) {
    if (context.empty()) throw DataError(t.text);
    throw DataError(fmt::format("{}: {}", context, t.text));  // e.g. "reading prices <file>: line 9, column ..."
  }
  if (context.empty()) throw DataError(fmt::format("{}: {}", what, t.text));
  throw DataError(fmt::format("{} ({}): {}", what, context, t.text));
}

ColumnType from_duckdb(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN: return ColumnType::kBoolean;
    case DUCKDB_TYPE_TINYINT: return ColumnType::kInt8;
    case DUCKDB_TYPE_SMALLINT: return ColumnType::kInt16;
    case DUCKDB_TYPE_INTEGER: return ColumnType::kInt32;
    case DUCKDB_TYPE_BIGINT: return ColumnType::kInt64;
    case DUCKDB_TYPE_UTINYINT: return ColumnType::kUInt8;
    case DUCKDB_TYPE_USMALLINT: return ColumnType::kUInt16;
    case DUCKDB_TYPE_UINTEGER: return ColumnType::kUInt32;
    case DUCKDB_TYPE_UBIGINT: return ColumnType::kUInt64;
    case DUCKDB_TYPE_FLOAT: return ColumnType::kFloat;
    case DUCKDB_TYPE_DOUBLE: return ColumnType::kDouble;
    case DUCKDB_TYPE_DECIMAL: return ColumnType::kDecimal;
    case DUCKDB_TYPE_TIMESTAMP: return ColumnType::kTimestamp;
    case DUCKDB_TYPE_TIMESTAMP_TZ: return ColumnType::kTimestampTz;
    case DUCKDB_TYPE_TIMESTAMP_S: return ColumnType::kTimestampS;
    case DUCKDB_TYPE_TIMESTAMP_MS: return ColumnType::kTimestampMs;
    case DUCKDB_TYPE_TIMESTAMP_NS: return ColumnType::kTimestampNs;
    case DUCKDB_TYPE_DATE: return ColumnType::kDate;
    case DUCKDB_TYPE_VARCHAR: return ColumnType::kVarchar;
    default: return ColumnType::kOther;
  }
}

duckdb_type to_duckdb(ColumnType type) {
  switch (type) {
    case ColumnType::kBoolean: return DUCKDB_TYPE_BOOLEAN;
    case ColumnType::kInt8: return DUCKDB_TYPE_TINYINT;
    case ColumnType::kInt16: return DUCKDB_TYPE_SMALLINT;
    case ColumnType::kInt32: return DUCKDB_TYPE_INTEGER;
    case ColumnType::kInt64: return DUCKDB_TYPE_BIGINT;
    case ColumnType::kUInt8: return DUCKDB_TYPE_UTINYINT;
    case ColumnType::kUInt16: return DUCKDB_TYPE_USMALLINT;
    case ColumnType::kUInt32: return DUCKDB_TYPE_UINTEGER;
    case ColumnType::kUInt64: return DUCKDB_TYPE_UBIGINT;
    case ColumnType::kFloat: return DUCKDB_TYPE_FLOAT;
    case ColumnType::kDouble: return DUCKDB_TYPE_DOUBLE;
    case ColumnType::kTimestamp: return DUCKDB_TYPE_TIMESTAMP;
    case ColumnType::kTimestampTz: return DUCKDB_TYPE_TIMESTAMP_TZ;
    case ColumnType::kTimestampS: return DUCKDB_TYPE_TIMESTAMP_S;
    case ColumnType::kTimestampMs: return DUCKDB_TYPE_TIMESTAMP_MS;
    case ColumnType::kTimestampNs: return DUCKDB_TYPE_TIMESTAMP_NS;
    case ColumnType::kDate: return DUCKDB_TYPE_DATE;
    case ColumnType::kVarchar: return DUCKDB_TYPE_VARCHAR;
    default: throw Error("ColumnType has no DuckDB equivalent for a table function column");
  }
}

}  // namespace

std::string_view type_name(ColumnType type) {
  switch (type) {
    case ColumnType::kBoolean: return "BOOLEAN";
    case ColumnType::kInt8: return "TINYINT";
    case ColumnType::kInt16: return "SMALLINT";
    case ColumnType::kInt32: return "INTEGER";
    case ColumnType::kInt64: return "BIGINT";
    case ColumnType::kUInt8: return "UTINYINT";
    case ColumnType::kUInt16: return "USMALLINT";
    case ColumnType::kUInt32: return "UINTEGER";
    case ColumnType::kUInt64: return "UBIGINT";
    case ColumnType::kFloat: return "FLOAT";
    case ColumnType::kDouble: return "DOUBLE";
    case ColumnType::kDecimal: return "DECIMAL";
    case ColumnType::kTimestamp: return "TIMESTAMP";
    case ColumnType::kTimestampTz: return "TIMESTAMP WITH TIME ZONE";
    case ColumnType::kTimestampS: return "TIMESTAMP_S";
    case ColumnType::kTimestampMs: return "TIMESTAMP_MS";
    case ColumnType::kTimestampNs: return "TIMESTAMP_NS";
    case ColumnType::kDate: return "DATE";
    case ColumnType::kVarchar: return "VARCHAR";
    case ColumnType::kOther: break;
  }
  return "OTHER";
}

bool is_numeric(ColumnType type) {
  switch (type) {
    case ColumnType::kInt8:
    case ColumnType::kInt16:
    case ColumnType::kInt32:
    case ColumnType::kInt64:
    case ColumnType::kUInt8:
    case ColumnType::kUInt16:
    case ColumnType::kUInt32:
    case ColumnType::kUInt64:
    case ColumnType::kFloat:
    case ColumnType::kDouble:
    case ColumnType::kDecimal: return true;
    default: return false;
  }
}

bool is_timestamp(ColumnType type) {
  switch (type) {
    case ColumnType::kTimestamp:
    case ColumnType::kTimestampTz:
    case ColumnType::kTimestampS:
    case ColumnType::kTimestampMs:
    case ColumnType::kTimestampNs:
    case ColumnType::kDate: return true;
    default: return false;
  }
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_literal(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// ---------------------------------------------------------------- Database

Database::Database(const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) throw DataError("DuckDB: cannot create a configuration");
  auto set = [&](const char* name, const std::string& value) {
    if (duckdb_set_config(config, name, value.c_str()) == DuckDBError) {
      duckdb_destroy_config(&config);
      throw ConfigError(fmt::format("DuckDB setting {} = \"{}\" is not valid", name, value));
    }
  };
  if (!options.memory_limit.empty()) set("memory_limit", options.memory_limit);
  if (!options.temp_directory.empty()) set("temp_directory", options.temp_directory);
  if (options.threads > 0) set("threads", std::to_string(options.threads));
  char* error = nullptr;
  duckdb_database db = nullptr;
  const auto state = duckdb_open_ext(nullptr, &db, config, &error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string message = error ? error : "unknown error";
    duckdb_free(error);
    throw DataError(fmt::format("DuckDB: cannot open a database: {}", message));
  }
  db_ = db;
}

Database::~Database() {
  if (db_) {
    duckdb_database db = db_;
    duckdb_close(&db);
  }
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    this->~Database();
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

// ---------------------------------------------------------------- DataChunk

DataChunk::DataChunk(_duckdb_data_chunk* chunk) : chunk_(chunk) {}
DataChunk::~DataChunk() {
  if (chunk_) {
    duckdb_data_chunk chunk = chunk_;
    duckdb_destroy_data_chunk(&chunk);
  }
}
DataChunk::DataChunk(DataChunk&& other) noexcept : chunk_(std::exchange(other.chunk_, nullptr)) {}
DataChunk& DataChunk::operator=(DataChunk&& other) noexcept {
  if (this != &other) {
    this->~DataChunk();
    chunk_ = std::exchange(other.chunk_, nullptr);
  }
  return *this;
}
size_t DataChunk::size() const { return chunk_ ? duckdb_data_chunk_get_size(chunk_) : 0; }
size_t DataChunk::column_count() const { return chunk_ ? duckdb_data_chunk_get_column_count(chunk_) : 0; }
const void* DataChunk::raw_data(size_t column) const {
  return duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, column));
}
const uint64_t* DataChunk::validity(size_t column) const {
  return duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk_, column));
}
std::string_view DataChunk::string_at(size_t column, size_t row) const {
  auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, column)));
  duckdb_string_t& s = strings[row];
  return {duckdb_string_t_data(&s), duckdb_string_t_length(s)};
}

// ---------------------------------------------------------------- Result

struct Result::Handle {
  duckdb_result result{};
  std::string context;
  ~Handle() { duckdb_destroy_result(&result); }
};

Result::Result(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
Result::~Result() = default;
Result::Result(Result&&) noexcept = default;
Result& Result::operator=(Result&&) noexcept = default;

size_t Result::column_count() const { return duckdb_column_count(&handle_->result); }
std::string Result::column_name(size_t column) const { return duckdb_column_name(&handle_->result, column); }
ColumnType Result::column_type(size_t column) const {
  return from_duckdb(duckdb_column_type(&handle_->result, column));
}
std::string Result::column_type_name(size_t column) const {
  duckdb_logical_type type = duckdb_column_logical_type(&handle_->result, column);
  std::string name;
  if (duckdb_get_type_id(type) == DUCKDB_TYPE_DECIMAL) {
    name = fmt::format("DECIMAL({},{})", duckdb_decimal_width(type), duckdb_decimal_scale(type));
  } else {
    name = std::string(type_name(from_duckdb(duckdb_get_type_id(type))));
  }
  duckdb_destroy_logical_type(&type);
  return name;
}
DataChunk Result::fetch() {
  duckdb_data_chunk chunk = duckdb_fetch_chunk(handle_->result);
  if (!chunk) {
    const char* error = duckdb_result_error(&handle_->result);
    if (error && *error) fail("DuckDB query failed", handle_->context, error);
  }
  return DataChunk(chunk);
}

// ---------------------------------------------------------------- PreparedStatement

PreparedStatement::PreparedStatement(_duckdb_prepared_statement* stmt, std::string context)
    : stmt_(stmt), context_(std::move(context)) {}
PreparedStatement::~PreparedStatement() {
  if (stmt_) {
    duckdb_prepared_statement stmt = stmt_;
    duckdb_destroy_prepare(&stmt);
  }
}
PreparedStatement::PreparedStatement(PreparedStatement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), context_(std::move(other.context_)) {}
PreparedStatement& PreparedStatement::operator=(PreparedStatement&& other) noexcept {
  if (this != &other) {
    this->~PreparedStatement();
    stmt_ = std::exchange(other.stmt_, nullptr);
    context_ = std::move(other.context_);
  }
  return *this;
}
void PreparedStatement::bind(size_t index, int64_t value) {
  if (duckdb_bind_int64(stmt_, index, value) == DuckDBError) fail("DuckDB bind failed", context_, duckdb_prepare_error(stmt_));
}
void PreparedStatement::bind(size_t index, double value) {
  if (duckdb_bind_double(stmt_, index, value) == DuckDBError) fail("DuckDB bind failed", context_, duckdb_prepare_error(stmt_));
}
void PreparedStatement::bind(size_t index, std::string_view value) {
  if (duckdb_bind_varchar_length(stmt_, index, value.data(), value.size()) == DuckDBError) {
    fail("DuckDB bind failed", context_, duckdb_prepare_error(stmt_));
  }
}
Result PreparedStatement::stream() {
  auto handle = std::make_unique<Result::Handle>();
  handle->context = context_;
  if (duckdb_execute_prepared_streaming(stmt_, &handle->result) == DuckDBError) {
    fail("DuckDB query failed", context_, duckdb_result_error(&handle->result));
  }
  return Result(std::move(handle));
}
Result PreparedStatement::execute() {
  auto handle = std::make_unique<Result::Handle>();
  handle->context = context_;
  if (duckdb_execute_prepared(stmt_, &handle->result) == DuckDBError) {
    fail("DuckDB query failed", context_, duckdb_result_error(&handle->result));
  }
  return Result(std::move(handle));
}

// ---------------------------------------------------------------- Connection

Connection::Connection(Database& db) {
  duckdb_connection con = nullptr;
  if (duckdb_connect(db.handle(), &con) == DuckDBError) throw DataError("DuckDB: cannot connect to the database");
  con_ = con;
}
Connection::~Connection() {
  if (con_) {
    duckdb_connection con = con_;
    duckdb_disconnect(&con);
  }
}
Connection::Connection(Connection&& other) noexcept : con_(std::exchange(other.con_, nullptr)) {}
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    this->~Connection();
    con_ = std::exchange(other.con_, nullptr);
  }
  return *this;
}

void Connection::execute(const std::string& sql, std::string_view context) { query(sql, context); }

Result Connection::query(const std::string& sql, std::string_view context) {
  auto handle = std::make_unique<Result::Handle>();
  handle->context = std::string(context);
  if (duckdb_query(con_, sql.c_str(), &handle->result) == DuckDBError) {
    fail("DuckDB query failed", context, duckdb_result_error(&handle->result));
  }
  return Result(std::move(handle));
}

PreparedStatement Connection::prepare(const std::string& sql, std::string_view context) {
  duckdb_prepared_statement stmt = nullptr;
  if (duckdb_prepare(con_, sql.c_str(), &stmt) == DuckDBError) {
    std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "unknown error";
    duckdb_destroy_prepare(&stmt);
    fail("DuckDB could not prepare a query", context, message);
  }
  return PreparedStatement(stmt, std::string(context));
}

Result Connection::stream(const std::string& sql, std::string_view context) { return prepare(sql, context).stream(); }

void Connection::interrupt() { duckdb_interrupt(con_); }

// ---------------------------------------------------------------- Table functions

namespace {

struct TableFunctionInfo {
  std::vector<ColumnSpec> columns;
  std::function<std::unique_ptr<ChunkProducer>()> factory;
};

struct TableFunctionState {
  std::unique_ptr<ChunkProducer> producer;
};

void table_bind(duckdb_bind_info info) {
  auto* spec = static_cast<TableFunctionInfo*>(duckdb_bind_get_extra_info(info));
  for (const auto& column : spec->columns) {
    duckdb_logical_type type = duckdb_create_logical_type(to_duckdb(column.type));
    duckdb_bind_add_result_column(info, column.name.c_str(), type);
    duckdb_destroy_logical_type(&type);
  }
}

void table_init(duckdb_init_info info) {
  auto* spec = static_cast<TableFunctionInfo*>(duckdb_init_get_extra_info(info));
  try {
    auto* state = new TableFunctionState{spec->factory()};
    duckdb_init_set_init_data(info, state, [](void* p) { delete static_cast<TableFunctionState*>(p); });
    duckdb_init_set_max_threads(info, 1);
  } catch (const std::exception& e) {
    duckdb_init_set_error(info, e.what());
  }
}

void table_function(duckdb_function_info info, duckdb_data_chunk output) {
  auto* state = static_cast<TableFunctionState*>(duckdb_function_get_init_data(info));
  try {
    OutputChunk out(output);
    duckdb_data_chunk_set_size(output, state->producer->produce(out));
  } catch (const std::exception& e) {
    duckdb_function_set_error(info, e.what());
  }
}

}  // namespace

void Connection::register_table_function(const std::string& name, std::vector<ColumnSpec> columns,
                                         std::function<std::unique_ptr<ChunkProducer>()> factory) {
  duckdb_table_function function = duckdb_create_table_function();
  duckdb_table_function_set_name(function, name.c_str());
  auto* info = new TableFunctionInfo{std::move(columns), std::move(factory)};
  duckdb_table_function_set_extra_info(function, info, [](void* p) { delete static_cast<TableFunctionInfo*>(p); });
  duckdb_table_function_set_bind(function, table_bind);
  duckdb_table_function_set_init(function, table_init);
  duckdb_table_function_set_function(function, table_function);
  const auto state = duckdb_register_table_function(con_, function);
  duckdb_destroy_table_function(&function);
  if (state == DuckDBError) throw DataError(fmt::format("DuckDB: cannot register table function {}", name));
}

size_t OutputChunk::capacity() const { return duckdb_vector_size(); }
void* OutputChunk::raw_column(size_t index) {
  return duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, index));
}
void OutputChunk::set_string(size_t column, size_t row, std::string_view value) {
  duckdb_vector_assign_string_element_len(duckdb_data_chunk_get_vector(chunk_, column), row, value.data(),
                                          value.size());
}
void OutputChunk::set_null(size_t column, size_t row) {
  duckdb_vector vector = duckdb_data_chunk_get_vector(chunk_, column);
  duckdb_vector_ensure_validity_writable(vector);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), row);
}

// ---------------------------------------------------------------- Appender

Appender::Appender(Connection& con, const std::string& table) : table_(table) {
  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(con.handle(), nullptr, table.c_str(), &appender) == DuckDBError) {
    std::string message = appender && duckdb_appender_error(appender) ? duckdb_appender_error(appender) : "unknown";
    duckdb_appender_destroy(&appender);
    fail("DuckDB: cannot append", table, message);
  }
  appender_ = appender;
}
Appender::~Appender() {
  if (appender_) {
    duckdb_appender appender = appender_;
    duckdb_appender_destroy(&appender);
  }
}
void Appender::check(int state, std::string_view what) {
  if (state == DuckDBError) fail(fmt::format("DuckDB: {} failed", what), table_, duckdb_appender_error(appender_));
}
Appender& Appender::append(double value) {
  check(duckdb_append_double(appender_, value), "append");
  return *this;
}
Appender& Appender::append(int64_t value) {
  check(duckdb_append_int64(appender_, value), "append");
  return *this;
}
Appender& Appender::append(bool value) {
  check(duckdb_append_bool(appender_, value), "append");
  return *this;
}
Appender& Appender::append(std::string_view value) {
  check(duckdb_append_varchar_length(appender_, value.data(), value.size()), "append");
  return *this;
}
Appender& Appender::append_timestamp_ns(int64_t ns) {
  const int64_t micros = ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
  check(duckdb_append_timestamp(appender_, duckdb_timestamp{micros}), "append");
  return *this;
}
Appender& Appender::append_null() {
  check(duckdb_append_null(appender_), "append");
  return *this;
}
void Appender::end_row() { check(duckdb_appender_end_row(appender_), "end_row"); }
void Appender::close() {
  if (!appender_) return;
  check(duckdb_appender_close(appender_), "close");
  duckdb_appender appender = appender_;
  duckdb_appender_destroy(&appender);
  appender_ = nullptr;
}

}  // namespace ml4t::backtest::duck
