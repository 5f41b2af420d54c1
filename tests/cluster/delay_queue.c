/* delay_queue: constant packet delay on a link, for kernels without sch_netem.
 *
 *   delay_queue --queue N --delay-ms D [--max-packets M]
 *
 * Binds NFQUEUE number N in the current network namespace and accepts every packet queued there
 * exactly D ms (CLOCK_MONOTONIC) after it was received, in arrival order. Run it in the namespace
 * whose rule queues the packets, e.g. on a host's inbound side:
 *
 *   ip netns exec NS iptables -t mangle -A PREROUTING -i eth0 -j NFQUEUE --queue-num 0 --queue-bypass
 *   ip netns exec NS delay_queue --queue 0 --delay-ms 20 &
 *
 * (nft's own `queue` statement needs CONFIG_NFT_QUEUE; the iptables NFQUEUE target, nft_compat,
 * needs only CONFIG_NETFILTER_XT_TARGET_NFQUEUE.) Queue packets after they crossed a veth, not in
 * the sending host (OUTPUT/POSTROUTING/egress): there a held skb still belongs to its TCP socket,
 * and TCP Small Queues (about 1 ms of data per socket below the device) throttles any flow delayed
 * by more than a couple of ms to a few packets per delay. A bridge namespace with
 * bridge-nf-call-iptables=1 can delay a port in both directions (-m physdev --physdev-in/out).
 *
 * Only packet metadata is copied to user space (NFQNL_COPY_META); GSO packets are queued whole
 * (NFQA_CFG_F_GSO), so a 64 KiB TCP burst costs one message and one verdict. The delay is
 * constant, so packets leave in the order they came: a ring of (id, release time), and one batch
 * verdict (nfq_set_verdict_batch: every id <= the last due one) per wake-up. The kernel queue
 * holds up to M packets (default 65536); beyond that it accepts without delay (FAIL_OPEN) rather
 * than drop. SIGTERM/SIGINT accept everything still held and exit 0. Needs CAP_NET_ADMIN.
 * Errors: one line on stderr, exit 1; bad arguments: usage, exit 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct held {
  uint32_t id;
  int64_t due_ns;
};

static struct held* ring;         /* FIFO of packets waiting for their verdict */
static uint32_t cap, head, count; /* ring capacity, oldest slot, number held */
static int64_t delay_ns;
static volatile sig_atomic_t stop;

static void die(const char* what) {
  fprintf(stderr, "delay_queue: %s failed: %s\n", what, errno ? strerror(errno) : "error");
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Accept every held packet due by `until` (all of them when until == INT64_MAX): one verdict. */
static void release(struct nfq_q_handle* qh, int64_t until) {
  uint32_t n = 0;
  while (n < count && ring[(head + n) % cap].due_ns <= until) n++;
  if (n == 0) return;
  uint32_t last = ring[(head + n - 1) % cap].id;
  if (nfq_set_verdict_batch(qh, last, NF_ACCEPT) < 0) die("nfq_set_verdict_batch");
  head = (head + n) % cap;
  count -= n;
}

static int on_packet(struct nfq_q_handle* qh, struct nfgenmsg* msg, struct nfq_data* nfa, void* arg) {
  (void)msg;
  (void)arg;
  struct nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  if (count == cap) { /* cannot happen while the kernel queue is no longer than the ring */
    if (nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL) < 0) die("nfq_set_verdict");
    head = (head + 1) % cap;
    count--;
  }
  ring[(head + count) % cap] = (struct held){ntohl(ph->packet_id), now_ns() + delay_ns};
  count++;
  return 0;
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static long parse(const char* s, long lo, long hi) {
  char* end;
  errno = 0;
  long v = strtol(s, &end, 10);
  return (errno || end == s || *end || v < lo || v > hi) ? -1 : v;
}

static void usage(void) {
  fprintf(stderr, "usage: delay_queue --queue N --delay-ms D [--max-packets M]\n");
  exit(2);
}

int main(int argc, char** argv) {
  long queue = -1, delay_ms = -1, max_packets = 65536;
  static const struct option opts[] = {{"queue", required_argument, 0, 'q'},
                                       {"delay-ms", required_argument, 0, 'd'},
                                       {"max-packets", required_argument, 0, 'm'},
                                       {0, 0, 0, 0}};
  for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    if (c == 'q' && (queue = parse(optarg, 0, 65535)) >= 0) continue;
    if (c == 'd' && (delay_ms = parse(optarg, 0, 3600000)) >= 0) continue;
    if (c == 'm' && (max_packets = parse(optarg, 1, 1L << 24)) >= 0) continue;
    usage();
  }
  if (optind != argc || queue < 0 || delay_ms < 0) usage();
  delay_ns = delay_ms * 1000000;
  cap = (uint32_t)max_packets;
  if (!(ring = calloc(cap, sizeof *ring))) die("calloc");

  /* SIGTERM/SIGINT stay blocked except inside ppoll, so a signal cannot slip in between the
   * check of `stop` and the wait. */
  struct sigaction sa = {.sa_handler = on_signal};
  sigset_t stops, waitmask;
  sigemptyset(&sa.sa_mask);
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) ||
      sigprocmask(SIG_BLOCK, &stops, &waitmask))
    die("sigaction");

  errno = 0;
  struct nfq_handle* h = nfq_open();
  if (!h) die("nfq_open");
  struct nfq_q_handle* qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
  if (!qh) die("nfq_create_queue (queue already bound?)");
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) die("nfq_set_mode");
  if (nfq_set_queue_maxlen(qh, (uint32_t)max_packets) < 0) die("nfq_set_queue_maxlen");
  uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
  if (nfq_set_queue_flags(qh, flags, flags) < 0) die("nfq_set_queue_flags");

  int fd = nfq_fd(h), rcvbuf = 64 << 20, one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf)) die("SO_RCVBUFFORCE");
  /* A lost message is harmless: the next batch verdict (ids <= last) releases that packet too. */
  if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one)) die("NETLINK_NO_ENOBUFS");

  static char buf[65536];
  while (!stop) {
    struct timespec ts, *tmo = NULL;
    if (count) {
      int64_t wait = ring[head].due_ns - now_ns();
      if (wait < 0) wait = 0;
      ts = (struct timespec){wait / 1000000000, wait % 1000000000};
      tmo = &ts;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = ppoll(&p, 1, tmo, &waitmask);
    if (r < 0 && errno != EINTR) die("ppoll");
    if (r > 0) /* drain what is there now, then release */
      for (int i = 0; i < 1024; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (n < 0 && errno == ENOBUFS) continue;
        if (n <= 0) die("recv");
        nfq_handle_packet(h, buf, (int)n);
      }
    release(qh, now_ns());
  }
  release(qh, INT64_MAX);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
