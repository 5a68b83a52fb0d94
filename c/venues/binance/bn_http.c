/* bn_http.c - see bn_http.h.  The socket/timer glue follows libcurl's
 * documented multi_socket pattern (docs/examples/multi-uv.c). */
#include "venues/binance/bn_http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

struct bn_http_req {
    struct bn_http *h;
    CURL *easy;
    struct curl_slist *headers;
    void *user;
    char *body;
    size_t len, cap;
    struct bn_http_resp resp;
    struct bn_http_req *prev, *next;
    int64_t started_ns;
    char errbuf[CURL_ERROR_SIZE];
};

struct bn_poll {
    uv_poll_t poll;
    curl_socket_t fd;
    struct bn_http *h;
    struct bn_poll *prev, *next;   /* every poll still open, to close on teardown */
};

struct bn_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    bn_http_cb cb;
    void *ctx;
    long timeout_ms;
    struct bn_http_req *reqs;  /* in flight */
    int n_reqs;
    int open_handles;          /* timer + polls; freed at 0 once closing */
    bool timer_ready;          /* initialised on first use, so a client that never sent
                                * anything closes without the loop running */
    struct bn_poll *polls;
    CURL *idle[16];            /* finished easy handles, reset for reuse */
    int n_idle;
    bool closing;
};

static void maybe_free(struct bn_http *h)
{
    if (h->closing && h->open_handles == 0)
        free(h);
}

static void poll_closed(uv_handle_t *hd)
{
    struct bn_poll *p = hd->data;
    struct bn_http *h = p->h;
    free(p);
    h->open_handles--;
    maybe_free(h);
}

static void timer_closed(uv_handle_t *hd)
{
    struct bn_http *h = hd->data;
    h->open_handles--;
    maybe_free(h);
}

static void unlink_req(struct bn_http_req *r)
{
    struct bn_http *h = r->h;
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        h->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    h->n_reqs--;
}

static void free_req(struct bn_http_req *r)
{
    struct bn_http *h = r->h;
    curl_slist_free_all(r->headers);
    /* Reusing a handle saves allocating and initialising one per request
     * (several microseconds on the order path). */
    if (!h->closing && h->n_idle < (int)(sizeof h->idle / sizeof h->idle[0])) {
        curl_easy_reset(r->easy);
        h->idle[h->n_idle++] = r->easy;
    } else {
        curl_easy_cleanup(r->easy);
    }
    free(r->body);
    free(r);
}

static void check_done(struct bn_http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct bn_http_req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode code = msg->data.result;
        curl_multi_remove_handle(h->multi, msg->easy_handle);
        unlink_req(r);
        r->resp.curl_code = (int)code;
        r->resp.curl_err = code != CURLE_OK ? (r->errbuf[0] ? r->errbuf : curl_easy_strerror(code))
                                            : NULL;
        if (code == CURLE_OK)
            curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->resp.status);
        r->resp.body = r->body != NULL ? r->body : "";
        r->resp.len = r->len;
        r->resp.elapsed_ns = clock_mono_ns() - r->started_ns;
        h->cb(h->ctx, r->user, &r->resp);
        free_req(r);
    }
}

static void poll_cb(uv_poll_t *hd, int status, int events)
{
    struct bn_poll *p = hd->data;
    struct bn_http *h = p->h;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(h->multi, p->fd, flags, &running);
    check_done(h);
}

static void timer_cb(uv_timer_t *t)
{
    struct bn_http *h = t->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static void close_poll(struct bn_poll *p)
{
    struct bn_http *h = p->h;
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        h->polls = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, poll_closed);
}

static int socket_fn(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp)
{
    (void)easy;
    struct bn_http *h = userp;
    struct bn_poll *p = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (p != NULL) {
            curl_multi_assign(h->multi, s, NULL);
            close_poll(p);
        }
        return 0;
    }
    if (p == NULL) {
        p = calloc(1, sizeof *p);
        if (p == NULL)
            return -1;
        p->fd = s;
        p->h = h;
        if (uv_poll_init_socket(h->loop, &p->poll, s) != 0) {
            free(p);
            return -1;
        }
        p->poll.data = p;
        h->open_handles++;
        p->next = h->polls;
        if (h->polls != NULL)
            h->polls->prev = p;
        h->polls = p;
        curl_multi_assign(h->multi, s, p);
    }
    int ev = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&p->poll, ev, poll_cb);
    return 0;
}

static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct bn_http *h = userp;
    if (timeout_ms < 0) {
        if (h->timer_ready)
            uv_timer_stop(&h->timer);
        return 0;
    }
    if (!h->timer_ready) {
        if (h->closing)
            return 0;
        uv_timer_init(h->loop, &h->timer);
        h->timer.data = h;
        h->timer_ready = true;
        h->open_handles++;
    }
    uv_timer_start(&h->timer, timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t write_fn(char *ptr, size_t size, size_t nmemb, void *userp)
{
    struct bn_http_req *r = userp;
    size_t n = size * nmemb;
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap > 0 ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (b == NULL)
            return 0;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static int64_t header_int(const char *v, size_t len)
{
    int64_t x = 0;
    size_t i = 0;
    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    if (i == len || v[i] < '0' || v[i] > '9')
        return -1;
    for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
        if (x < INT64_MAX / 10)
            x = x * 10 + (v[i] - '0');
    return x;
}

static size_t header_fn(char *buf, size_t size, size_t nitems, void *userp)
{
    struct bn_http_req *r = userp;
    size_t n = size * nitems;
    const char *colon = memchr(buf, ':', n);
    if (colon == NULL)
        return n;
    size_t klen = (size_t)(colon - buf);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    if (klen == 20 && strncasecmp(buf, "X-MBX-USED-WEIGHT-1M", 20) == 0)
        r->resp.used_weight_1m = header_int(v, vlen);
    else if (klen == 21 && strncasecmp(buf, "X-MBX-ORDER-COUNT-10S", 21) == 0)
        r->resp.order_count_10s = header_int(v, vlen);
    else if (klen == 20 && strncasecmp(buf, "X-MBX-ORDER-COUNT-1D", 20) == 0)
        r->resp.order_count_1d = header_int(v, vlen);
    else if (klen == 11 && strncasecmp(buf, "Retry-After", 11) == 0)
        r->resp.retry_after_s = header_int(v, vlen);
    return n;
}

int bn_http_create(uv_loop_t *loop, bn_http_cb cb, void *ctx, long timeout_ms,
                   struct bn_http **out)
{
    struct bn_http *h = calloc(1, sizeof *h);
    if (h == NULL)
        return -1;
    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        free(h);
        return -1;
    }
    h->loop = loop;
    h->cb = cb;
    h->ctx = ctx;
    h->timeout_ms = timeout_ms;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    *out = h;
    return 0;
}

int bn_http_request(struct bn_http *h, const char *method, const char *url, const char *api_key,
                    void *user)
{
    if (h->closing)
        return -1;
    struct bn_http_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->h = h;
    r->user = user;
    r->resp.used_weight_1m = r->resp.order_count_10s = r->resp.order_count_1d = -1;
    r->resp.retry_after_s = -1;
    r->easy = h->n_idle > 0 ? h->idle[--h->n_idle] : curl_easy_init();
    if (r->easy == NULL) {
        free(r);
        return -1;
    }
    if (api_key != NULL) {
        char hdr[192];
        snprintf(hdr, sizeof hdr, "X-MBX-APIKEY: %s", api_key);
        r->headers = curl_slist_append(NULL, hdr);
    }
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_fn);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_fn);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "crossvenue-trader/1");
    r->started_ns = clock_mono_ns();
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        free_req(r);
        return -1;
    }
    r->next = h->reqs;
    if (h->reqs != NULL)
        h->reqs->prev = r;
    h->reqs = r;
    h->n_reqs++;
    return 0;
}

int bn_http_pending(const struct bn_http *h) { return h->n_reqs; }

void bn_http_close(struct bn_http *h)
{
    h->closing = true;
    while (h->reqs != NULL) {
        struct bn_http_req *r = h->reqs;
        curl_multi_remove_handle(h->multi, r->easy);
        unlink_req(r);
        r->resp.cancelled = true;
        r->resp.body = "";
        h->cb(h->ctx, r->user, &r->resp);
        free_req(r);
    }
    /* cleanup makes curl close its sockets: socket_fn closes their polls. */
    curl_multi_cleanup(h->multi);
    h->multi = NULL;
    while (h->polls != NULL)
        close_poll(h->polls);
    while (h->n_idle > 0)
        curl_easy_cleanup(h->idle[--h->n_idle]);
    if (h->timer_ready) {
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, timer_closed);
    }
    maybe_free(h);   /* now if no uv handle was ever opened (an error exit before start) */
}
