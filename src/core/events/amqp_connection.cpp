#include "core/events/amqp_connection.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <algorithm>
#include <cstring>
#include <list>

#include "core/deps/url.hpp"

namespace emporium::events {
namespace {

// Broker heartbeats: a dead peer is noticed within two intervals. rabbitmq-c
// only services them inside its calls, so idle owners call poll().
constexpr int kHeartbeatSeconds = 30;
constexpr int kFrameMax = 131072;

timeval toTimeval(std::chrono::milliseconds ms) {
  const auto count = std::max<std::int64_t>(ms.count(), 0);
  return timeval{static_cast<time_t>(count / 1000),
                 static_cast<suseconds_t>((count % 1000) * 1000)};
}

amqp_bytes_t bytes(std::string_view text) {
  // rabbitmq-c never writes through the pointer of an input amqp_bytes_t.
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};  // NOLINT
}

std::string toString(amqp_bytes_t b) {
  if (b.len == 0) return {};
  return {static_cast<const char*>(b.bytes), b.len};
}

// An amqp_table_t view over an AmqpTable; entries point into `source`, which
// must outlive it.
class TableView {
 public:
  explicit TableView(const AmqpTable& source) {
    entries_.reserve(source.size());
    for (const auto& [key, value] : source) {
      amqp_table_entry_t entry{};
      entry.key = bytes(key);
      if (const auto* i = std::get_if<std::int64_t>(&value)) {
        entry.value.kind = AMQP_FIELD_KIND_I64;
        entry.value.value.i64 = *i;
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = bytes(*s);
      } else {
        entry.value.kind = AMQP_FIELD_KIND_TIMESTAMP;
        entry.value.value.u64 = static_cast<std::uint64_t>(std::get<AmqpTimestamp>(value).seconds);
      }
      entries_.push_back(entry);
    }
  }
  amqp_table_t table() {
    return amqp_table_t{static_cast<int>(entries_.size()),
                        entries_.empty() ? nullptr : entries_.data()};
  }

 private:
  std::vector<amqp_table_entry_t> entries_;
};

AmqpTable fromTable(const amqp_table_t& table) {
  AmqpTable out;
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& entry = table.entries[i];  // NOLINT(*-pointer-arithmetic)
    const amqp_field_value_t& v = entry.value;
    std::string key = toString(entry.key);
    switch (v.kind) {
      case AMQP_FIELD_KIND_I8:
        out.emplace(std::move(key), std::int64_t{v.value.i8});
        break;
      case AMQP_FIELD_KIND_U8:
        out.emplace(std::move(key), std::int64_t{v.value.u8});
        break;
      case AMQP_FIELD_KIND_I16:
        out.emplace(std::move(key), std::int64_t{v.value.i16});
        break;
      case AMQP_FIELD_KIND_U16:
        out.emplace(std::move(key), std::int64_t{v.value.u16});
        break;
      case AMQP_FIELD_KIND_I32:
        out.emplace(std::move(key), std::int64_t{v.value.i32});
        break;
      case AMQP_FIELD_KIND_U32:
        out.emplace(std::move(key), std::int64_t{v.value.u32});
        break;
      case AMQP_FIELD_KIND_I64:
        out.emplace(std::move(key), std::int64_t{v.value.i64});
        break;
      case AMQP_FIELD_KIND_U64:
        out.emplace(std::move(key), static_cast<std::int64_t>(v.value.u64));
        break;
      case AMQP_FIELD_KIND_TIMESTAMP:
        out.emplace(std::move(key), AmqpTimestamp{static_cast<std::int64_t>(v.value.u64)});
        break;
      case AMQP_FIELD_KIND_UTF8:
      case AMQP_FIELD_KIND_BYTES:
        out.emplace(std::move(key), toString(v.value.bytes));
        break;
      default:
        break;  // tables, arrays, floats (x-death): nothing we read
    }
  }
  return out;
}

Delivery fromMessage(const amqp_message_t& message) {
  Delivery d;
  d.body = toString(message.body);
  const amqp_basic_properties_t& p = message.properties;
  if ((p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0) d.message_id = toString(p.message_id);
  if ((p._flags & AMQP_BASIC_TYPE_FLAG) != 0) d.type = toString(p.type);
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) != 0) d.headers = fromTable(p.headers);
  return d;
}

std::string closeText(const amqp_method_t& method) {
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_channel_close_t*>(method.decoded);
    return "channel closed by the broker: " + std::to_string(m->reply_code) + " " +
           toString(m->reply_text);
  }
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(method.decoded);
    return "connection closed by the broker: " + std::to_string(m->reply_code) + " " +
           toString(m->reply_text);
  }
  return std::string("unexpected method ") + amqp_method_name(method.id);
}

}  // namespace

std::optional<std::int64_t> tableInt(const AmqpTable& table, std::string_view key) {
  const auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  return std::nullopt;
}

std::string tableString(const AmqpTable& table, std::string_view key) {
  const auto it = table.find(key);
  if (it == table.end()) return {};
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return {};
}

void AmqpConnection::StateDeleter::operator()(amqp_connection_state_t_* state) const noexcept {
  amqp_destroy_connection(state);
}

AmqpConnection::AmqpConnection(const std::string& url, std::chrono::milliseconds timeout)
    : state_(amqp_new_connection()) {
  deps::ServerUrl parsed;
  try {
    parsed = deps::parseServerUrl(url, 5672);
  } catch (const std::exception& e) {
    throw AmqpError(std::string("bad AMQP URL: ") + e.what());
  }
  if (parsed.scheme != "amqp") throw AmqpError("AMQP URL must start with amqp://");
  if (!state_) throw AmqpError("cannot allocate an AMQP connection");
  amqp_socket_t* socket = amqp_tcp_socket_new(state_.get());
  if (socket == nullptr) throw AmqpError("cannot create an AMQP socket");
  const std::string where = parsed.host + ":" + std::to_string(parsed.port);
  timeval tv = toTimeval(timeout);
  if (const int rc = amqp_socket_open_noblock(socket, parsed.host.c_str(), parsed.port, &tv);
      rc != AMQP_STATUS_OK) {
    broken_ = true;
    throw AmqpError("AMQP connect to " + where + " failed: " + amqp_error_string2(rc));
  }
  amqp_set_handshake_timeout(state_.get(), &tv);
  amqp_set_rpc_timeout(state_.get(), &tv);
  const std::string vhost = parsed.path.empty() ? "/" : parsed.path;
  const std::string user = parsed.user.empty() ? "guest" : parsed.user;
  const std::string password = parsed.user.empty() ? "guest" : parsed.password;
  const amqp_rpc_reply_t login =
      amqp_login(state_.get(), vhost.c_str(), 0, kFrameMax, kHeartbeatSeconds,
                 AMQP_SASL_METHOD_PLAIN, user.c_str(), password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    broken_ = true;
    if (login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
      throw AmqpError("AMQP login to " + where +
                      " failed: " + amqp_error_string2(login.library_error) +
                      " (wrong user, password or vhost are reported this way too)");
    }
    throw AmqpError("AMQP login to " + where + " refused (check user, password and vhost)");
  }
  amqp_channel_open(state_.get(), 1);
  checkReply("channel.open");
}

AmqpConnection::~AmqpConnection() {
  if (!state_ || broken_) return;  // the deleter drops the socket
  // Best effort: a broker that went away meanwhile just times out the RPC.
  amqp_channel_close(state_.get(), 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(state_.get(), AMQP_REPLY_SUCCESS);
}

void AmqpConnection::fail(const std::string& what) {
  broken_ = true;
  throw AmqpError(what);
}

void AmqpConnection::checkReply(std::string_view what) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_.get());
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      fail(std::string(what) + ": missing RPC reply");
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      fail(std::string(what) + ": " + amqp_error_string2(reply.library_error));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      fail(std::string(what) + ": " + closeText(reply.reply));
  }
  fail(std::string(what) + ": unknown reply");
}

void AmqpConnection::checkStatus(int status, std::string_view what) {
  if (status != AMQP_STATUS_OK) fail(std::string(what) + ": " + amqp_error_string2(status));
}

void AmqpConnection::declareExchange(std::string_view name, std::string_view type) {
  amqp_exchange_declare(state_.get(), 1, bytes(name), bytes(type), /*passive=*/0, /*durable=*/1,
                        /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  checkReply("exchange.declare " + std::string(name));
}

std::uint32_t AmqpConnection::declareQueue(std::string_view name, const AmqpTable& arguments) {
  TableView args(arguments);
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(state_.get(), 1, bytes(name), /*passive=*/0, /*durable=*/1,
                         /*exclusive=*/0, /*auto_delete=*/0, args.table());
  checkReply("queue.declare " + std::string(name));
  return ok != nullptr ? ok->message_count : 0;
}

void AmqpConnection::bindQueue(std::string_view queue, std::string_view exchange,
                               std::string_view key) {
  amqp_queue_bind(state_.get(), 1, bytes(queue), bytes(exchange), bytes(key), amqp_empty_table);
  checkReply("queue.bind " + std::string(queue) + " to " + std::string(exchange));
}

void AmqpConnection::deleteQueue(std::string_view name) {
  amqp_queue_delete(state_.get(), 1, bytes(name), /*if_unused=*/0, /*if_empty=*/0);
  checkReply("queue.delete " + std::string(name));
}

void AmqpConnection::deleteExchange(std::string_view name) {
  amqp_exchange_delete(state_.get(), 1, bytes(name), /*if_unused=*/0);
  checkReply("exchange.delete " + std::string(name));
}

void AmqpConnection::confirmSelect() {
  amqp_confirm_select(state_.get(), 1);
  checkReply("confirm.select");
  confirming_ = true;
  next_seq_ = 1;
  acked_through_ = 0;
}

std::uint64_t AmqpConnection::publish(const OutgoingMessage& message) {
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
  props.delivery_mode = 2;  // persistent: survives a broker restart in a durable queue
  props.content_type = amqp_cstring_bytes("application/json");
  if (!message.message_id.empty()) {
    props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
    props.message_id = bytes(message.message_id);
  }
  if (!message.type.empty()) {
    props._flags |= AMQP_BASIC_TYPE_FLAG;
    props.type = bytes(message.type);
  }
  if (message.timestamp > 0) {
    props._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    props.timestamp = static_cast<std::uint64_t>(message.timestamp);
  }
  TableView headers(message.headers);
  if (!message.headers.empty()) {
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    props.headers = headers.table();
  }
  checkStatus(
      amqp_basic_publish(state_.get(), 1, bytes(message.exchange), bytes(message.routing_key),
                         /*mandatory=*/0, /*immediate=*/0, &props, bytes(message.body)),
      "basic.publish to " + std::string(message.exchange) + "/" + std::string(message.routing_key));
  return confirming_ ? next_seq_++ : 0;
}

bool AmqpConnection::handleAsyncFrame(const void* raw) {
  const auto& frame = *static_cast<const amqp_frame_t*>(raw);
  if (frame.frame_type != AMQP_FRAME_METHOD) return false;
  const amqp_method_t& method = frame.payload.method;
  // Settles (acked_through_, tag] when multiple, else just tag.
  const auto settle = [this](std::uint64_t tag, bool multiple, bool nacked) {
    if (multiple) {
      for (std::uint64_t seq = acked_through_ + 1; seq <= tag; ++seq) {
        const auto it = out_of_order_.find(seq);
        if (nacked && it == out_of_order_.end()) nacked_.push_back(seq);
      }
      acked_through_ = std::max(acked_through_, tag);
      out_of_order_.erase(out_of_order_.begin(), out_of_order_.upper_bound(acked_through_));
    } else if (tag > acked_through_) {
      out_of_order_[tag] = nacked;
      if (nacked) nacked_.push_back(tag);
    }
    while (!out_of_order_.empty() && out_of_order_.begin()->first == acked_through_ + 1) {
      ++acked_through_;
      out_of_order_.erase(out_of_order_.begin());
    }
  };
  switch (method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      settle(ack->delivery_tag, ack->multiple != 0, false);
      return true;
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
      settle(nack->delivery_tag, nack->multiple != 0, true);
      return true;
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD:
      fail(closeText(method));
    default:
      return false;
  }
}

std::vector<std::uint64_t> AmqpConnection::waitConfirms(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (acked_through_ + 1 < next_seq_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      fail("no publisher confirm within " + std::to_string(timeout.count()) + " ms");
    }
    timeval tv = toTimeval(left);
    amqp_frame_t frame{};
    const int rc = amqp_simple_wait_frame_noblock(state_.get(), &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) continue;
    checkStatus(rc, "waiting for publisher confirms");
    handleAsyncFrame(&frame);
  }
  amqp_maybe_release_buffers(state_.get());
  std::vector<std::uint64_t> nacked;
  nacked.swap(nacked_);
  return nacked;
}

void AmqpConnection::qos(int prefetch) {
  amqp_basic_qos(state_.get(), 1, 0, static_cast<std::uint16_t>(std::clamp(prefetch, 1, 65535)), 0);
  checkReply("basic.qos");
}

std::string AmqpConnection::consume(std::string_view queue, const AmqpTable& arguments) {
  TableView args(arguments);
  const amqp_basic_consume_ok_t* ok =
      amqp_basic_consume(state_.get(), 1, bytes(queue), amqp_empty_bytes, /*no_local=*/0,
                         /*no_ack=*/0, /*exclusive=*/0, args.table());
  checkReply("basic.consume " + std::string(queue));
  return ok != nullptr ? toString(ok->consumer_tag) : std::string();
}

std::optional<Delivery> AmqpConnection::next(std::chrono::milliseconds timeout) {
  amqp_maybe_release_buffers(state_.get());
  timeval tv = toTimeval(timeout);
  amqp_envelope_t envelope{};
  const amqp_rpc_reply_t reply = amqp_consume_message(state_.get(), &envelope, &tv, 0);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    Delivery d = fromMessage(envelope.message);
    d.delivery_tag = envelope.delivery_tag;
    d.redelivered = envelope.redelivered != 0;
    d.routing_key = toString(envelope.routing_key);
    amqp_destroy_envelope(&envelope);
    return d;
  }
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    if (reply.library_error == AMQP_STATUS_TIMEOUT) return std::nullopt;
    if (reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      // A frame other than a delivery is waiting: a close, a basic.cancel
      // (queue deleted), or an ack we do not track here.
      amqp_frame_t frame{};
      checkStatus(amqp_simple_wait_frame(state_.get(), &frame), "reading a frame");
      if (frame.frame_type == AMQP_FRAME_METHOD &&
          frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD) {
        fail("the broker cancelled the consumer (queue deleted?)");
      }
      handleAsyncFrame(&frame);
      return std::nullopt;
    }
    fail(std::string("basic.consume: ") + amqp_error_string2(reply.library_error));
  }
  fail("basic.consume: unexpected reply");
}

std::optional<Delivery> AmqpConnection::get(std::string_view queue) {
  amqp_maybe_release_buffers(state_.get());
  const amqp_rpc_reply_t reply = amqp_basic_get(state_.get(), 1, bytes(queue), /*no_ack=*/0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) checkReply("basic.get " + std::string(queue));
  if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::nullopt;
  // Copied out first: reading the message may reuse the decoded method's memory.
  const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
  const std::uint64_t tag = ok->delivery_tag;
  const bool redelivered = ok->redelivered != 0;
  std::string routing_key = toString(ok->routing_key);
  amqp_message_t message{};
  const amqp_rpc_reply_t read = amqp_read_message(state_.get(), 1, &message, 0);
  if (read.reply_type != AMQP_RESPONSE_NORMAL) checkReply("reading a basic.get message");
  Delivery d = fromMessage(message);
  d.delivery_tag = tag;
  d.redelivered = redelivered;
  d.routing_key = std::move(routing_key);
  amqp_destroy_message(&message);
  return d;
}

void AmqpConnection::ack(std::uint64_t delivery_tag, bool multiple) {
  checkStatus(amqp_basic_ack(state_.get(), 1, delivery_tag, multiple ? 1 : 0), "basic.ack");
}

void AmqpConnection::reject(std::uint64_t delivery_tag, bool requeue) {
  checkStatus(amqp_basic_reject(state_.get(), 1, delivery_tag, requeue ? 1 : 0), "basic.reject");
}

void AmqpConnection::poll() {
  for (;;) {
    timeval zero{0, 0};
    amqp_frame_t frame{};
    const int rc = amqp_simple_wait_frame_noblock(state_.get(), &frame, &zero);
    if (rc == AMQP_STATUS_TIMEOUT) return;
    checkStatus(rc, "reading from the broker");
    handleAsyncFrame(&frame);
  }
}

}  // namespace emporium::events
