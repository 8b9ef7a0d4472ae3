/* lunet's wire format between the parameter server (driver) and workers.
 * A message is a ZeroMQ multipart message:
 *   [peer id (ROUTER side only)] [header, 32 bytes] [meta: UTF-8 JSON, may be
 *   empty] [payload frames: raw float32, little-endian, 0..LUNET_WIRE_MAX_FRAMES]
 * The header is fixed little-endian:
 *   u32 magic "LNET" | u16 version | u16 type | u32 worker | u32 nframes |
 *   u64 seq (sequence number or clock) | u64 payload_bytes (sum of payload frames)
 * Anything that does not match exactly is dropped and counted, never trusted. */
#ifndef LUNET_WIRE_H
#define LUNET_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

#define LUNET_WIRE_MAGIC 0x54454E4Cu /* "LNET" read as little-endian u32 */
#define LUNET_WIRE_VERSION 2 /* 2: the 17 types of protocol.lua */
#define LUNET_WIRE_HEADER_SIZE 32
#define LUNET_WIRE_MAX_FRAMES 8
#define LUNET_WIRE_MAX_META (1u << 20) /* configuration text is small */
#define LUNET_WIRE_MAX_PEER 255

/* The message types. What each one's meta and payload frames mean, who
 * sends it and what answers it is lua/lunet/runtime/protocol.lua (the one
 * place that documents the protocol); this list and that file's table name
 * the same types in the same order. W: worker -> driver, D: driver -> worker. */
typedef enum {
  LUNET_MSG_HELLO = 1,          /* W: who I am (version, rank, pid, host) */
  LUNET_MSG_JOB,                /* D: the job (meta) + the center [+ a resumed state] */
  LUNET_MSG_DATA_REQUEST,       /* W: the next partition, please (and which one I finished) */
  LUNET_MSG_DATA,               /* D: a partition: features and labels */
  LUNET_MSG_END_OF_DATA,        /* D: no partition is left for this worker */
  LUNET_MSG_REPORT,             /* W: batch records (losses, times) since the last report */
  LUNET_MSG_HEARTBEAT,          /* W: alive, nothing to report; D: the answer to a report/heartbeat */
  LUNET_MSG_COMMIT,             /* W: a delta for the server's rule */
  LUNET_MSG_COMMIT_PULL,        /* W: a delta, answered by the center (params) */
  LUNET_MSG_PULL,               /* W: send me the center */
  LUNET_MSG_PARAMS,             /* D: the center variable */
  LUNET_MSG_RESULT,             /* W: a partition's result (predictions) */
  LUNET_MSG_CHECKPOINT_REQUEST, /* D: send your state at your next batch boundary */
  LUNET_MSG_CHECKPOINT_STATE,   /* W: my state (position, counters) + optimizer state [+ weights] */
  LUNET_MSG_DONE,               /* W: finished, with my totals; answered by stop */
  LUNET_MSG_STOP,               /* D: end now (reason: done, error, lost, refused, stop_training) */
  LUNET_MSG_ERROR,              /* W: I failed (a message for the user) */
  LUNET_MSG_VALIDATE,           /* D: score this snapshot of the center (to the evaluator process) */
  LUNET_MSG_VALIDATION,         /* W: the evaluator's scores of a snapshot */
  LUNET_MSG_LEARNING_RATE,      /* D: step with this learning rate from the next batch on (callbacks) */
  LUNET_MSG_SHM_OFFER,          /* W: my shared memory segment (a local worker: memfd fd number) */
  LUNET_MSG_SHM_ANSWER,         /* D: the segment is mapped, or refused (frames go on) */
  LUNET_MSG_TRIAL,              /* D: run this tune trial (module name + config, data only) */
  LUNET_MSG_TRIAL_REPORT,       /* W: a trial's intermediate metrics, answered by trial_answer */
  LUNET_MSG_TRIAL_ANSWER,       /* D: the scheduler's word on a report: go on or stop */
  LUNET_MSG_TRIAL_RESULT,       /* W: a trial ended (state, final metrics, seconds, error) */
  LUNET_MSG_LAST = LUNET_MSG_TRIAL_RESULT
} lunet_msg_type_t;

typedef struct {
  uint32_t magic;
  uint16_t version;
  uint16_t type;
  uint32_t worker;
  uint32_t nframes;
  uint64_t seq;
  uint64_t payload_bytes;
} lunet_wire_header_t;

/* Writes h as 32 little-endian bytes. */
void lunet_wire_encode_header(uint8_t *out /* (32) */, const lunet_wire_header_t *h);
/* Parses and validates 32 bytes (magic, version, type range, frame count,
 * payload size bound); -1 with a message on anything else. */
int lunet_wire_decode_header(lunet_wire_header_t *h, const uint8_t *buf, size_t len,
                             uint64_t max_payload);

const char *lunet_msg_type_name(int type);
/* The type for a name ("commit"), or -1. */
int lunet_msg_type_from_name(const char *name);

/* A received message. Payload frames are tensors (1-D) over the received
 * memory, zero-copy where alignment allows. */
typedef struct {
  lunet_wire_header_t h;
  uint8_t peer[LUNET_WIRE_MAX_PEER];
  size_t peer_len;
  char *meta; /* NUL-terminated, owned */
  size_t meta_len;
  int nframes;
  lunet_tensor_t *frames[LUNET_WIRE_MAX_FRAMES]; /* owned references */
} lunet_wire_msg_t;

void lunet_wire_msg_free(lunet_wire_msg_t *m);

/* Decoding of a received multipart message, one part at a time from memory:
 * the socket receive path (lunet_wire_recv) and the fuzz target
 * (spec/fuzz/fuzz_wire.c) run exactly these checks. Start with
 * {.with_peer, .max_payload} and a zeroed message. */
typedef struct {
  int with_peer;        /* the first part is a ROUTER peer id */
  uint64_t max_payload; /* bound on the header's payload_bytes */
  int index;            /* parts seen so far */
  uint64_t payload;     /* payload bytes seen so far */
} lunet_wire_reader_t;

/* Checks the next part (size bytes at data) and stores it in out when it is
 * the peer, header or meta (copied). Returns 0 for a part stored, 1 for a
 * payload part that passed the checks (the caller makes it a tensor and
 * appends it to out->frames), -1 with a message when the part is malformed. */
int lunet_wire_reader_part(lunet_wire_reader_t *r, lunet_wire_msg_t *out, const uint8_t *data, size_t size);
/* After the last part: 0, or -1 with a message when the header or meta frame
 * is missing or the payload frames disagree with the header. */
int lunet_wire_reader_end(const lunet_wire_reader_t *r, const lunet_wire_msg_t *out);

/* Decodes a whole message held in memory (nparts parts, part i is sizes[i]
 * bytes at parts[i]); payload frames are copied into new tensors. Returns 0
 * with *out filled (free it with lunet_wire_msg_free), or -1 with the reason
 * set and *out left empty. */
int lunet_wire_decode(lunet_wire_msg_t *out, const uint8_t *const *parts, const size_t *sizes, int nparts,
                      int with_peer, uint64_t max_payload);

/* Before binding or connecting endpoint: for ipc:// (local workers) asks the
 * kernel for buffers that hold a whole parameter vector (capped by
 * net.core.[rw]mem_max), saving the I/O threads many wakeups. TCP keeps the
 * kernel's autotuning, which a fixed size would switch off. */
void lunet_wire_tune_socket(void *zsock, const char *endpoint);

/* Sends one message on a ZeroMQ socket. peer (ROUTER sockets) may be NULL.
 * Payload tensors must be contiguous; they are sent zero-copy: the socket
 * keeps a reference to each one's storage (storage->refs > 1) until ZeroMQ has
 * written it, and drops it from its own thread.
 * Returns 0, or -1 with a message (unknown peer, timeout, closed socket). */
int lunet_wire_send(void *zsock, const uint8_t *peer, size_t peer_len, const lunet_wire_header_t *h,
                    const char *meta, size_t meta_len, lunet_tensor_t *const *frames, int nframes);

/* Receives one message, waiting up to timeout_ms (-1: forever).
 * Returns 1 with *out filled (free it with lunet_wire_msg_free), 0 on timeout,
 * 2 when a malformed message was dropped (*dropped_reason says why: it points
 * at the thread's error buffer, so copy it before the next lunet_fail), -1 on
 * a socket error. with_peer: the socket is a ROUTER (first frame is the peer). */
int lunet_wire_recv(void *zsock, int with_peer, int timeout_ms, uint64_t max_payload,
                    lunet_wire_msg_t *out, const char **dropped_reason);


/* The process's ZeroMQ context, created on first use with
 * LUNET_ZMQ_IO_THREADS I/O threads. Its sockets linger 0 unless they say
 * otherwise (the server's close does). 8: thread 0 for every socket but a
 * sharded server's shards, 7 for the shards' connections (with 4, the 3 left
 * were the busiest threads of a 4-shard server: its capacity stopped growing
 * at k = 2; idle ones cost a blocked thread each). */
#define LUNET_ZMQ_IO_THREADS 8
void *lunet_zmq_context(void);
/* Before the context exists: n I/O threads instead (a worker process, whose
 * one socket needs one: `lunet worker` asks for 1). Ignored afterwards. */
void lunet_zmq_io_threads(int n);

/* Before binding or connecting: which I/O threads move the socket's bytes.
 * spread = 0: thread 0, as every socket of lunet's (one I/O thread, the
 * others idle); spread = 1: threads 1 and up, ZeroMQ giving each new
 * connection the least loaded one: a sharded parameter server's shards
 * (num_servers), whose receives and sends then run in parallel. */
void lunet_wire_io_threads(void *zsock, int spread);

/* Ends the context at process exit, once every socket is closed: waits for
 * what a closed socket still had to send, up to that socket's linger. */
void lunet_zmq_term(void);

/* Round trips per second of a bare zero-copy ZeroMQ exchange of n floats each
 * way (the benchmark floor for lunet's commit + pull); -1 if it could not run. */
double lunet_ps_bench_bare(size_t n, int reps);

/* Seal + open pairs per second of crypto_secretbox_easy /
 * crypto_secretbox_open_easy (what CURVE does to every message) on a
 * message of bytes bytes, one thread; -1 with a message if it could not run.
 * A CURVE round trip seals and opens twice: its bound is half this rate. */
double lunet_ps_bench_secretbox(size_t bytes, int reps);
#endif
