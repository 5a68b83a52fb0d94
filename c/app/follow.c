/* follow.c - journal followers over IPC (see follow.h). */
#include "app/follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal.h"

struct follower {
    struct follower *next;
    ipc_conn_t *conn;
    journal_reader *rd;
};

static void idle_noop(uv_idle_t *h) { (void)h; }

int follow_set_init(struct follow_set *s, uv_loop_t *loop, const char *path)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    if (uv_idle_init(loop, &s->idle) != 0)
        return -1;
    s->idle.data = s;
    s->idle_init = true;
    return 0;
}

static void follower_free(struct follower *f)
{
    if (f->rd != NULL)
        journal_reader_close(f->rd);
    free(f);
}

static struct follower **find_link(struct follow_set *s, const ipc_conn_t *c)
{
    for (struct follower **pp = &s->head; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->conn == c)
            return pp;
    return NULL;
}

void follow_conn_closed(struct follow_set *s, ipc_conn_t *c)
{
    struct follower **pp = find_link(s, c);
    if (pp == NULL)
        return;
    struct follower *f = *pp;
    *pp = f->next;
    follower_free(f);
}

void follow_request(struct follow_set *s, ipc_conn_t *c, uint64_t id, uint64_t from_seq)
{
    char err[256];
    journal_reader *rd = NULL;
    if (journal_reader_open(&rd, s->path, from_seq == 0 ? 1 : from_seq, err, sizeof err) !=
        JOURNAL_OK) {
        ipc_conn_send_error(c, true, id, IPC_E_INTERNAL, err);
        return;
    }
    follow_conn_closed(s, c); /* a second follow replaces the first */
    struct follower *f = calloc(1, sizeof *f);
    if (f == NULL) {
        journal_reader_close(rd);
        ipc_conn_send_error(c, true, id, IPC_E_INTERNAL, "out of memory");
        return;
    }
    f->conn = c;
    f->rd = rd;
    f->next = s->head;
    s->head = f;
    /* ok goes out before the first jrec: pumping happens in the check phase */
    ipc_conn_send_ok(c, id);
}

/* A record whose bytes a client could not accept as a map (too large for a
 * frame, text that is not UTF-8) is still announced, so the follower's seq
 * stays contiguous and it can raise the problem instead of stalling. */
static int push_unreadable(ipc_conn_t *c, const journal_record *r, const char *why)
{
    ipc_fw_t fw;
    msgpack_packer *pk = ipc_conn_begin(c, &fw);
    if (pk == NULL)
        return -1;
    msgpack_pack_map(pk, 4);
    ipc_pack_cstr(pk, "t");
    ipc_pack_cstr(pk, "jrec");
    ipc_pack_cstr(pk, "seq");
    msgpack_pack_uint64(pk, r->seq);
    ipc_pack_cstr(pk, "type");
    msgpack_pack_uint64(pk, r->type);
    ipc_pack_cstr(pk, "rec");
    msgpack_pack_map(pk, 1);
    ipc_pack_cstr(pk, "unreadable");
    ipc_pack_cstr(pk, why);
    return ipc_conn_end(c, &fw) == IPC_OK ? 0 : -1;
}

/* 0 queued, -1 the connection is closing (do not touch it again). */
static int push_record(ipc_conn_t *c, const journal_record *r)
{
    ipc_fw_t fw;
    msgpack_packer *pk = ipc_conn_begin(c, &fw);
    if (pk == NULL)
        return -1;
    msgpack_pack_map(pk, 4);
    ipc_pack_cstr(pk, "t");
    ipc_pack_cstr(pk, "jrec");
    ipc_pack_cstr(pk, "seq");
    msgpack_pack_uint64(pk, r->seq);
    ipc_pack_cstr(pk, "type");
    msgpack_pack_uint64(pk, r->type);
    ipc_pack_cstr(pk, "rec");
    /* The payload already is one msgpack map (jrec.h): its bytes are the
     * value as they stand, no decode and re-encode. */
    if (r->len > 0)
        pk->callback(pk->data, (const char *)r->payload, r->len);
    int rc = ipc_conn_end(c, &fw); /* validates the frame as a client would */
    if (rc == IPC_OK)
        return 0;
    if (rc < 0)
        return -1;
    char why[96];
    snprintf(why, sizeof why, "record cannot be sent as a map: %s", ipc_code_name(rc));
    return push_unreadable(c, r, why);
}

/* 0 (stopped at the limit or the mark), -1 the connection went away. */
static int pump_one(struct follower *f, uint64_t upto)
{
    while (journal_reader_position(f->rd) < upto &&
           ipc_conn_pending(f->conn) < FOLLOW_HIGH_WATER) {
        journal_record rec;
        char err[256];
        int rc = journal_reader_next(f->rd, &rec, err, sizeof err);
        if (rc == 0)
            return 0; /* not in the file yet (cannot happen below upto; be patient) */
        if (rc < 0) {
            char why[300];
            snprintf(why, sizeof why, "journal follow failed: %s", err);
            ipc_conn_close(f->conn, IPC_E_INTERNAL, why);
            return -1;
        }
        if (push_record(f->conn, &rec) != 0)
            return -1;
    }
    return 0;
}

void follow_pump(struct follow_set *s, uint64_t upto)
{
    struct follower *next;
    for (struct follower *f = s->head; f != NULL; f = next) {
        next = f->next; /* a closing connection unlinks and frees f */
        ipc_conn_t *c = f->conn;
        if (pump_one(f, upto) != 0) {
            /* closed: the server calls on_close (which forgets it) later or
             * already did; forget it now either way so we never read it */
            follow_conn_closed(s, c);
        }
    }
}

void follow_after_flush(struct follow_set *s, uint64_t upto)
{
    bool need = false;
    for (struct follower *f = s->head; f != NULL && !need; f = f->next)
        need = journal_reader_position(f->rd) < upto && ipc_conn_pending(f->conn) == 0;
    if (!s->idle_init || need == s->idle_active)
        return;
    if (need)
        uv_idle_start(&s->idle, idle_noop);
    else
        uv_idle_stop(&s->idle);
    s->idle_active = need;
}

unsigned follow_count(const struct follow_set *s)
{
    unsigned n = 0;
    for (const struct follower *f = s->head; f != NULL; f = f->next)
        n++;
    return n;
}

static void idle_closed(uv_handle_t *h) { (void)h; }

void follow_set_close(struct follow_set *s)
{
    while (s->head != NULL) {
        struct follower *f = s->head;
        s->head = f->next;
        follower_free(f);
    }
    if (s->idle_init) {
        uv_close((uv_handle_t *)&s->idle, idle_closed);
        s->idle_init = false;
        s->idle_active = false;
    }
}
