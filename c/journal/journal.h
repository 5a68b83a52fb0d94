/* journal: the append-only record of everything `trader` decided.
 *
 * The trader journals every accepted order (reservation), venue report, fill
 * and state change, and on start replays the journal to rebuild positions,
 * reservations and trading states. This module knows nothing about what a
 * record means: a record is (seq, type, payload bytes); the app stores one
 * msgpack map per record.
 *
 * ON-DISK FORMAT (little-endian, version 1; see docs/JOURNAL.md)
 *
 *   offset size field
 *        0    4 magic        'T' 'J' 'R' '1'
 *        4    4 payload_len  u32, at most JOURNAL_MAX_PAYLOAD
 *        8    8 seq          u64, first record's seq + 1 for each next one
 *       16    2 type         u16, app-defined (see JOURNAL_TYPE_*)
 *       18    2 flags        u16, must be 0 in version 1 (reserved)
 *       20    4 crc          CRC-32C over header bytes [0,20) then payload
 *       24    4 header_crc   CRC-32C over header bytes [0,24)
 *       28    . payload      payload_len opaque bytes
 *
 * Records follow each other with no padding and no file header. The header
 * checksum lets a scanner trust payload_len before it reads the payload (a
 * flipped length bit must not make us swallow the records behind it).
 *
 * RECOVERY RULES (journal_open)
 *   - Every record is verified. A bad or incomplete record at the tail, with
 *     no valid record anywhere after it, is what a kill -9 or power loss in
 *     the middle of write() leaves: it is cut off (ftruncate + fdatasync) and
 *     reported in journal_open_info, never fatal.
 *   - A bad record FOLLOWED by a valid one is corruption in the middle of
 *     history: journal_open fails with JOURNAL_ERR_CORRUPT and a message that
 *     says where, instead of silently dropping what comes after.
 *   - A valid record whose seq is not the previous seq + 1 is also
 *     JOURNAL_ERR_CORRUPT.
 *
 * DURABILITY
 *   journal_append() only copies into memory and assigns the seq.
 *   journal_flush() hands every buffered record to the kernel in one
 *   pwrite() (looping over short writes and EINTR). Once it returns, a
 *   kill -9 of the process cannot lose those records (they are in the page
 *   cache), so the app flushes once per event-loop iteration, before replies
 *   go out. Surviving power loss needs fdatasync: either journal_sync() on
 *   the calling thread, or off the loop thread (group commit):
 *
 *       uint64_t upto = journal_flushed_seq(j);      // before submitting
 *       uv_fs_fdatasync(loop, &req, journal_fd(j), on_synced);
 *       ...
 *       on_synced: journal_sync_done(j, upto, req->result < 0 ? -req->result : 0);
 *
 *   Every record flushed before the fdatasync started is durable when it
 *   completes, so one fdatasync covers however many records and flushes
 *   happened in between. journal_synced_seq() then tells the app which
 *   records it may treat as durable.
 *
 *   A failed write or fdatasync (ENOSPC, EIO, ...) poisons the handle: every
 *   later append/flush/sync returns JOURNAL_ERR_FAILED with the original
 *   message. After a failed fdatasync the kernel may have dropped dirty pages
 *   while reporting them clean, so retrying is not safe; the app must HALT
 *   and restart, and journal_open recovers from what is really on disk.
 *
 * THREADS AND PROCESSES
 *   A journal handle is single-threaded (the event loop). The only thing
 *   another thread may touch is the fd, for fdatasync; do not journal_close
 *   while such a sync is in flight (the fd number could be reused). The fd
 *   is O_CLOEXEC; a fork() without exec shares its lock. journal_open takes an
 *   exclusive flock() on the file, so a second writer (a second trader on the
 *   same journal) fails with JOURNAL_ERR_LOCKED. Readers take no lock and
 *   may follow the file while the writer appends (journal_reader_*).
 *
 * ROTATION (not implemented yet; room is left)
 *   A file needs no header and its first record may have any seq >= 1
 *   (journal_options.first_seq), so a future rotation can close a segment and
 *   start journal-<first_seq>.tj at last_seq + 1. Record types >=
 *   JOURNAL_TYPE_RESERVED_MIN are kept for the journal's own markers (e.g. a
 *   "segment continues in file X" record) and the header flags are reserved.
 *
 * ERRORS
 *   Every function that can fail returns a journal_status (or a negative one)
 *   and writes a one-line, human-readable reason into err[errlen] (which may
 *   be NULL / 0). There is no global state and nothing is printed. */
#ifndef TRADER_JOURNAL_H
#define TRADER_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_HEADER_SIZE 28u
#define JOURNAL_MAX_PAYLOAD (16u * 1024u * 1024u)
#define JOURNAL_TYPE_RESERVED_MIN 0xFF00u /* app types: 1 .. 0xFEFF */

typedef enum {
    JOURNAL_OK = 0,
    JOURNAL_ERR_IO = -1,      /* a system call failed (errno text in err), incl. ENOSPC/EIO */
    JOURNAL_ERR_CORRUPT = -2, /* corruption before the tail: history would be lost */
    JOURNAL_ERR_LOCKED = -3,  /* another process holds the journal open for writing */
    JOURNAL_ERR_ARG = -4,     /* bad argument (record type, payload too large, ...) */
    JOURNAL_ERR_NOMEM = -5,   /* out of memory; nothing was changed */
    JOURNAL_ERR_FAILED = -6,  /* the handle is poisoned by an earlier write/sync error */
    JOURNAL_ERR_STOPPED = -7, /* a replay callback returned non-zero */
} journal_status;

/* One-word name of a status, e.g. "corrupt". Never NULL. */
const char *journal_status_name(int status);

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */

typedef struct journal journal;

typedef struct {
    /* seq the first record gets if the file is empty; 0 means 1. Ignored when
     * the file already holds records (their seqs continue). */
    uint64_t first_seq;
    /* Initial capacity of the append buffer in bytes; 0 means 64 KiB. */
    size_t buffer_bytes;
} journal_options;

typedef struct {
    uint64_t records;          /* valid records in the file after recovery */
    uint64_t first_seq;        /* seq of the first record; 0 if none */
    uint64_t last_seq;         /* seq of the last record; 0 if none */
    uint64_t valid_bytes;      /* file size after recovery */
    int created;               /* 1 if journal_open created the file */
    uint64_t truncated_bytes;  /* bytes cut from a torn/corrupt tail; 0 if clean */
    uint64_t truncated_offset; /* where the cut happened (== valid_bytes) */
    char truncated_reason[192];/* why the first cut record was rejected; "" if clean */
} journal_open_info;

/* Opens (creating if needed, mode 0600) and verifies the journal at path,
 * recovering a torn tail as described above. opts and info may be NULL.
 * On success *out is a handle positioned after the last valid record. */
int journal_open(journal **out, const char *path, const journal_options *opts,
                 journal_open_info *info, char *err, size_t errlen);

/* Releases the handle and its lock. Records appended but not flushed are
 * discarded (they were never acknowledged); flush (and sync) first. */
void journal_close(journal *j);

/* Buffers one record and stores its seq in *seq_out (may be NULL).
 * type must be 1..0xFEFF; payload may be NULL only when len is 0. Does no
 * I/O. Fails with JOURNAL_ERR_FAILED on a poisoned handle. */
int journal_append(journal *j, uint16_t type, const void *payload, uint32_t len,
                   uint64_t *seq_out, char *err, size_t errlen);

/* Writes every buffered record with one pwrite() (looping on short writes
 * and EINTR). No-op when nothing is buffered. */
int journal_flush(journal *j, char *err, size_t errlen);

/* journal_flush() then fdatasync() on this thread; on success every record
 * appended so far is durable and journal_synced_seq() == journal_last_seq(). */
int journal_sync(journal *j, char *err, size_t errlen);

/* For an fdatasync run elsewhere (see DURABILITY above): upto is the value
 * journal_flushed_seq() had when the fdatasync was submitted, sync_errno is
 * 0 on success or the errno it failed with (which poisons the handle and
 * returns JOURNAL_ERR_IO). */
int journal_sync_done(journal *j, uint64_t upto, int sync_errno, char *err, size_t errlen);

/* Accessors. Seqs are first_seq - 1 (0 for a new journal) when there is no
 * such record yet. */
int journal_fd(const journal *j);               /* the file, for fdatasync */
uint64_t journal_last_seq(const journal *j);    /* last seq assigned, buffered or not */
uint64_t journal_flushed_seq(const journal *j); /* last seq handed to the kernel */
uint64_t journal_synced_seq(const journal *j);  /* last seq known durable */
uint64_t journal_first_seq(const journal *j);   /* first seq in the file, or the next one if empty */
size_t journal_buffered_bytes(const journal *j); /* waiting for journal_flush */
uint64_t journal_file_bytes(const journal *j);  /* bytes in the file, flushed records included */
int journal_failed(const journal *j);           /* 1 once poisoned */

/* Calls cb for every record in the file, in order, from the first one up to
 * the last flushed one (records still buffered are not visited). The payload
 * pointer is valid only during the call. cb returns 0 to go on; non-zero
 * stops the replay, which returns JOURNAL_ERR_STOPPED. Records are verified
 * again as they are read (the file could have been damaged since open). */
typedef int (*journal_replay_fn)(void *ctx, uint64_t seq, uint16_t type,
                                 const uint8_t *payload, uint32_t len);
int journal_replay(journal *j, journal_replay_fn cb, void *ctx, char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Reader: follows a journal from a given seq, read-only, while a writer may
 * still be appending (used by the recorder, which resumes from its last
 * acknowledged seq).                                                       */

typedef struct journal_reader journal_reader;

typedef struct {
    uint64_t seq;
    uint16_t type;
    uint32_t len;
    const uint8_t *payload; /* valid until the next journal_reader_* call */
    uint64_t offset;        /* file offset of the record's header */
} journal_record;

/* Opens path read-only; the first record journal_reader_next returns is the
 * one with seq == from_seq (0 or 1 = from the start). Does not read yet. */
int journal_reader_open(journal_reader **out, const char *path, uint64_t from_seq,
                        char *err, size_t errlen);

/* Returns 1 and fills *rec with the next record; 0 when there is no complete
 * record yet (end of file, or a tail the writer is still writing: call again
 * later); or a negative journal_status: JOURNAL_ERR_CORRUPT when a bad record
 * is followed by valid ones, a seq does not follow on, or from_seq is before
 * the first record of the file. Records before from_seq are verified and
 * skipped. */
int journal_reader_next(journal_reader *r, journal_record *rec, char *err, size_t errlen);

/* seq of the last record returned (from_seq - 1 before the first). */
uint64_t journal_reader_position(const journal_reader *r);

void journal_reader_close(journal_reader *r);

#endif
