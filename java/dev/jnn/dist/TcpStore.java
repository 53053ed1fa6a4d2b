package dev.jnn.dist;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The rendezvous {@link Store} over TCP (PyTorch's TCPStore): rank 0 serves it on
 * MASTER_ADDR:MASTER_PORT from a thread of its own process, and every rank, rank 0 included, is a
 * client with one connection. Plain sockets and one small binary protocol (below), so the same
 * store is reachable from the native Gloo glue (native/dist/store_client.cpp speaks it too).
 *
 * <p>The server also knows which rank holds which connection: a rank whose process dies loses its
 * connection without saying goodbye, and {@link #lostRanks()} names it. That is how a collective
 * that fails because a peer died can say which rank it was.
 *
 * <pre>{@code
 * try (TcpStore s = TcpStore.open(env, Duration.ofSeconds(30))) {   // rank 0 serves, all connect
 *   s.set("x", new byte[] {1});
 *   byte[] v = s.get("x", Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>Protocol (big-endian, one request then one reply at a time per connection). A string or a
 * byte array is an int length and the bytes (strings UTF-8). The client opens with
 * {@code MAGIC, VERSION, rank, worldSize, generation}; the server answers {@code MAGIC, VERSION,
 * status}: 0, or 2 and a message (a world size that differs from rank 0's), or 3 (RETRY: this is
 * rank 0's store of an earlier group of the job, see {@link #open}; -1 fields are not checked). Requests are an op
 * byte and its arguments; replies a status byte (0 ok, 1 timeout, 2 error) and the results:
 * <pre>
 * SET    key, value              -> 0
 * GET    key, timeoutMs          -> 0 value | 1
 * ADD    key, delta(long)        -> 0 newValue(long)
 * WAIT   n, n keys, timeoutMs    -> 0 | 1 m, m missing keys
 * CHECK  n, n keys               -> 0 allSet(byte)
 * DELETE key                     -> 0 existed(byte)
 * LOST                           -> 0 n, n ranks (ints) whose connection closed without BYE
 * BYE                            -> 0, then the server closes the connection
 * </pre>
 */
public final class TcpStore implements Store {
  static final int MAGIC = 0x4A4E4E53;  // "JNNS"
  static final int VERSION = 1;
  /** Greeting status: the server is an earlier store of this job on the same port; connect again. */
  static final byte RETRY = 3;
  static final byte SET = 1, GET = 2, ADD = 3, WAIT = 4, CHECK = 5, DELETE = 6, LOST = 7, BYE = 8;
  static final byte OK = 0, TIMEOUT = 1, ERROR = 2;
  /** Limits that keep a wrong peer from making the server allocate gigabytes. */
  static final int MAX_KEY_BYTES = 4096, MAX_VALUE_BYTES = 64 << 20, MAX_KEYS = 1 << 16;
  /** How long rank 0 retries binding a port that is busy (see Server.start). */
  private static final Duration BIND_RETRY = Duration.ofSeconds(3);
  /** Extra time a client waits for the server's answer beyond the server-side timeout it asked for. */
  private static final Duration ANSWER_MARGIN = Duration.ofSeconds(10);

  private final String host;
  private final int port;
  private final int rank;
  private final Server server;          // non-null on the serving rank
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final Duration opTimeout;
  private boolean closed;
  private int groups;   // process groups created over this client, in order (their key prefixes)

  private TcpStore(String host, int port, int rank, Server server, Socket socket, Duration opTimeout) throws IOException {
    this.host = host;
    this.port = port;
    this.rank = rank;
    this.server = server;
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    this.opTimeout = opTimeout;
  }

  /**
   * The job's store: rank 0 starts serving on {@code env.masterPort()} (on the loopback interface
   * when MASTER_ADDR is a loopback address, else on all interfaces), then every rank connects to
   * MASTER_ADDR:MASTER_PORT, retrying until {@code timeout}.
   *
   * @throws DistributedException rank 0: the port is taken; others: rank 0 did not start serving in time
   */
  public static TcpStore open(DistEnv env, Duration timeout) {
    Objects.requireNonNull(env, "env");
    int generation = nextGeneration(env);
    Server server = env.rank() == 0 ? Server.start(env.masterAddr(), env.masterPort(), env.worldSize(), generation) : null;
    try {
      return connect(env.masterAddr(), server != null ? server.port() : env.masterPort(), env.rank(), env.worldSize(), generation, timeout, server);
    } catch (RuntimeException e) {
      if (server != null) server.close();
      throw e;
    }
  }

  /** A store served by this process on {@code port} (0: any free port, see {@link #port()}), bound to the loopback interface; this process is rank 0 of 1. */
  public static TcpStore serveLocal(int port) {
    Server server = Server.start("127.0.0.1", port, -1, -1);
    try {
      return connect("127.0.0.1", server.port(), 0, -1, -1, Duration.ofSeconds(10), server);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /**
   * A client of the store at {@code host:port}, retrying until {@code timeout} while nothing listens there.
   *
   * @param rank this client's rank (named in the server's {@link #lostRanks()}), or -1
   * @param worldSize checked against the server's (-1: not checked)
   */
  public static TcpStore connect(String host, int port, int rank, int worldSize, Duration timeout) {
    return connect(host, port, rank, worldSize, -1, timeout, null);
  }

  /**
   * Stores opened by this process for one job address and rank, counted: the store's generation.
   * A job that closes its group and creates another reuses MASTER_PORT; a rank that gets there
   * first could reach rank 0's previous store, still serving, and mix the two groups' keys. Every
   * rank opens its stores in the same order, so the generations agree, and a server answers a
   * greeting of a later generation with RETRY until rank 0 serves the new store.
   */
  private static final Map<String, Integer> GENERATIONS = new HashMap<>();

  private static int nextGeneration(DistEnv env) {
    synchronized (GENERATIONS) {
      return GENERATIONS.merge(env.masterAddr() + ":" + env.masterPort() + "#" + env.rank(), 1, Integer::sum);
    }
  }

  private static TcpStore connect(String host, int port, int rank, int worldSize, int generation, Duration timeout, Server server) {
    Objects.requireNonNull(host, "host");
    requirePositive(timeout, "timeout");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("store port must be 1..65535, got " + port);
    long deadline = System.nanoTime() + timeout.toNanos();
    String where = host + ":" + port;
    IOException last = null;
    long sleepMs = 50;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) break;
      Socket s = new Socket();
      try {
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(left / 1_000_000, 5_000)));
        if (s.getLocalPort() == s.getPort() && s.getLocalAddress().equals(s.getInetAddress())) {
          // TCP self-connect: with nothing listening yet, a connect from an ephemeral port equal to
          // the store's port reaches itself; it would hold the port rank 0 is about to bind
          throw new java.net.ConnectException("self-connect on port " + port + " (nothing listening yet)");
        }
        s.setSoTimeout((int) Math.max(1, Math.min(left / 1_000_000 + 1, Integer.MAX_VALUE)));
        TcpStore store = new TcpStore(host, port, rank, server, s, timeout);
        if (store.handshake(worldSize, generation, where)) {
          s.setSoTimeout(0);
          return store;
        }
        closeQuietly(s);
        last = new IOException("rank 0 still served the store of an earlier process group there");
      } catch (DistributedException e) {
        closeQuietly(s);
        throw e;
      } catch (SocketTimeoutException e) {
        closeQuietly(s);
        throw new DistributedException("the store at " + where + " accepted the connection of rank " + rank
            + " but did not answer its greeting within " + seconds(timeout) + ": is it a jnn store (MASTER_PORT)?", e);
      } catch (IOException e) {
        closeQuietly(s);
        last = e;
        if (e instanceof java.net.UnknownHostException)
          throw new DistributedException("cannot resolve the store's host '" + host + "' (MASTER_ADDR)", e);
      }
      try {
        Thread.sleep(Math.min(sleepMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new DistributedException("interrupted while rank " + rank + " connected to the store at " + where, ie);
      }
      sleepMs = Math.min(sleepMs * 2, 500);
    }
    throw new DistributedException("rendezvous timed out after " + seconds(timeout) + ": rank " + rank
        + " could not connect to the store of rank 0 at " + where + " (" + (last == null ? "no attempt" : last.getMessage())
        + "): rank 0 never started serving there; check MASTER_ADDR and MASTER_PORT and that rank 0 runs", last);
  }

  /** Greets the server; false when it asks to connect again (an earlier store of the job). */
  private boolean handshake(int worldSize, int generation, String where) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(rank);
    out.writeInt(worldSize);
    out.writeInt(generation);
    out.flush();
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      // a store closing as we connected (rank 0 between two groups): try again until the deadline
      throw new java.net.ConnectException("the store at " + where + " closed the connection at once (closing, or not a jnn store?)");
    }
    int version = in.readInt();
    if (magic != MAGIC) throw new DistributedException(where + " is not a jnn store (it answered 0x" + Integer.toHexString(magic) + "): check MASTER_PORT");
    if (version != VERSION) throw new DistributedException("the store at " + where + " speaks protocol " + version + ", this jnn " + VERSION + ": run the same jnn on every rank");
    byte status = in.readByte();
    if (status == RETRY) return false;
    if (status != OK) throw new DistributedException("the store at " + where + " refused rank " + rank + ": " + readString(in));
    return true;
  }

  /** The store's host (MASTER_ADDR). */
  public String host() { return host; }

  /** The store's port (the bound one when served on port 0). */
  public int port() { return port; }

  /** The address of this process's end of the connection to the store: an address of this host that reaches rank 0 (where Gloo binds). */
  public InetAddress localAddress() { return socket.getLocalAddress(); }

  /**
   * The key prefix of the next process group created over this client: "pg0/", "pg1/", ... Every
   * rank creates its groups in the same order, so the same group gets the same prefix everywhere.
   */
  synchronized String nextGroupPrefix() {
    return "pg" + groups++ + "/";
  }

  /** Whether this process serves the store. */
  public boolean isServer() { return server != null; }

  @Override
  public synchronized void set(String key, byte[] value) {
    Objects.requireNonNull(value, "value");
    if (value.length > MAX_VALUE_BYTES) throw new IllegalArgumentException("store value of " + value.length + " bytes exceeds " + MAX_VALUE_BYTES);
    byte[] k = keyBytes(key);
    byte status = call("set " + key, opTimeout, () -> {
      out.writeByte(SET);
      writeBytes(out, k);
      writeBytes(out, value);
    });
    answer("set " + key, () -> {
      checkStatus(status, "set " + key);
      return null;
    });
  }

  @Override
  public synchronized byte[] get(String key, Duration timeout) {
    requirePositive(timeout, "timeout");
    byte[] k = keyBytes(key);
    byte status = call("get " + key, timeout.plus(ANSWER_MARGIN), () -> {
      out.writeByte(GET);
      writeBytes(out, k);
      out.writeLong(timeout.toMillis());
    });
    return answer("get " + key, () -> {
      if (status == TIMEOUT)
        throw new StoreTimeoutException("store get timed out after " + seconds(timeout) + ": key '" + key + "' was never set (store " + host + ":" + port + ")", List.of(key));
      checkStatus(status, "get " + key);
      return readBytes(in, MAX_VALUE_BYTES);
    });
  }

  @Override
  public synchronized long add(String key, long delta) {
    byte[] k = keyBytes(key);
    byte status = call("add " + key, opTimeout, () -> {
      out.writeByte(ADD);
      writeBytes(out, k);
      out.writeLong(delta);
    });
    return answer("add " + key, () -> {
      checkStatus(status, "add " + key);
      return in.readLong();
    });
  }

  @Override
  public synchronized void await(List<String> keys, Duration timeout) {
    requirePositive(timeout, "timeout");
    checkKeys(keys);
    byte status = call("wait", timeout.plus(ANSWER_MARGIN), () -> {
      out.writeByte(WAIT);
      out.writeInt(keys.size());
      for (String k : keys) writeKey(k);
      out.writeLong(timeout.toMillis());
    });
    answer("wait", () -> {
      if (status == TIMEOUT) {
        int n = in.readInt();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) missing.add(readString(in));
        throw new StoreTimeoutException("store wait timed out after " + seconds(timeout) + ": keys never set: " + missing
            + " (store " + host + ":" + port + ")", missing);
      }
      checkStatus(status, "wait");
      return null;
    });
  }

  @Override
  public synchronized boolean check(List<String> keys) {
    checkKeys(keys);
    byte status = call("check", opTimeout, () -> {
      out.writeByte(CHECK);
      out.writeInt(keys.size());
      for (String k : keys) writeKey(k);
    });
    return answer("check", () -> {
      checkStatus(status, "check");
      return in.readByte() != 0;
    });
  }

  @Override
  public synchronized boolean delete(String key) {
    byte[] k = keyBytes(key);
    byte status = call("delete " + key, opTimeout, () -> {
      out.writeByte(DELETE);
      writeBytes(out, k);
    });
    return answer("delete " + key, () -> {
      checkStatus(status, "delete " + key);
      return in.readByte() != 0;
    });
  }

  /**
   * The ranks whose connection to the store closed without a goodbye (their process died or was
   * killed), ascending; empty if none. Asks the server; throws a {@link DistributedException} when
   * the server itself is gone (then rank 0 died).
   */
  public synchronized List<Integer> lostRanks() {
    byte status = call("lost ranks", opTimeout, () -> out.writeByte(LOST));
    return answer("lost ranks", () -> {
      checkStatus(status, "lost ranks");
      int n = in.readInt();
      List<Integer> r = new ArrayList<>(n);
      for (int i = 0; i < n; i++) r.add(in.readInt());
      return r;
    });
  }

  /** Says goodbye (so the server does not count this rank as lost), disconnects; the serving rank then stops serving. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    try {
      socket.setSoTimeout(2_000);
      out.writeByte(BYE);
      out.flush();
      in.readByte();
    } catch (IOException e) {
      // the server is gone already: nothing to say goodbye to
    } finally {
      closeQuietly(socket);
      if (server != null) server.close();
    }
  }

  @Override
  public String toString() {
    return "TcpStore[" + host + ":" + port + (server != null ? ", served here" : "") + ", rank " + rank + "]";
  }

  // ---- client plumbing ---------------------------------------------------------------------------

  private interface Io { void run() throws IOException; }
  private interface IoResult<T> { T get() throws IOException; }

  /** Sends one request and reads the status byte, with the socket timeout {@code answerWithin}. */
  private byte call(String what, Duration answerWithin, Io request) {
    if (closed) throw new DistributedException("store " + host + ":" + port + " is closed (" + what + ")");
    try {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, answerWithin.toMillis())));
      request.run();
      out.flush();
      return in.readByte();
    } catch (IOException e) {
      throw lostServer(what, e);
    }
  }

  private <T> T answer(String what, IoResult<T> read) {
    try {
      return read.get();
    } catch (IOException e) {
      throw lostServer(what, e);
    }
  }

  private void checkStatus(byte status, String what) throws IOException {
    if (status == OK) return;
    if (status == ERROR) throw new DistributedException("store " + host + ":" + port + " refused " + what + ": " + readString(in));
    throw new DistributedException("store " + host + ":" + port + " answered " + what + " with unknown status " + status);
  }

  private DistributedException lostServer(String what, IOException e) {
    closed = true;
    closeQuietly(socket);
    String why = e instanceof SocketTimeoutException ? "did not answer in time" : "closed the connection (" + e.getMessage() + ")";
    return new DistributedException("rank 0 is gone: the store at " + host + ":" + port + " " + why + " during " + what
        + (rank >= 0 ? " of rank " + rank : ""), e);
  }

  /** Keys already checked by {@link #checkKeys}. */
  private void writeKey(String key) throws IOException {
    writeBytes(out, key.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] keyBytes(String key) {
    Objects.requireNonNull(key, "key");
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    if (b.length == 0 || b.length > MAX_KEY_BYTES) throw new IllegalArgumentException("store key must have 1.." + MAX_KEY_BYTES + " bytes, got " + b.length);
    return b;
  }

  private static void checkKeys(List<String> keys) {
    Objects.requireNonNull(keys, "keys");
    if (keys.size() > MAX_KEYS) throw new IllegalArgumentException("at most " + MAX_KEYS + " keys at once, got " + keys.size());
    for (String k : keys) keyBytes(k);
  }

  static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  static byte[] readBytes(DataInputStream in, int max) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > max) throw new IOException("bad length " + n + " (protocol error)");
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  static String readString(DataInputStream in) throws IOException {
    return new String(readBytes(in, MAX_VALUE_BYTES), StandardCharsets.UTF_8);
  }

  static void writeString(DataOutputStream out, String s) throws IOException {
    writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
  }

  static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  // ---- the server (rank 0) -----------------------------------------------------------------------

  /** Serves the map on a daemon accept thread and one daemon thread per connection; waits block those threads, never the job's. */
  private static final class Server implements AutoCloseable {
    private final ServerSocket listener;
    private final int worldSize;
    private final int generation;   // -1: not checked
    private final Map<String, byte[]> data = new HashMap<>();
    private final Map<Integer, Boolean> ranks = new TreeMap<>();   // rank -> still connected (false: lost without BYE)
    private final List<Socket> clients = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stopped;

    private Server(ServerSocket listener, int worldSize, int generation) {
      this.listener = listener;
      this.worldSize = worldSize;
      this.generation = generation;
    }

    static Server start(String masterAddr, int port, int worldSize, int generation) {
      ServerSocket ss = null;
      try {
        InetAddress addr;
        try {
          addr = InetAddress.getByName(masterAddr);
        } catch (java.net.UnknownHostException e) {
          throw new DistributedException("rank 0 cannot resolve MASTER_ADDR '" + masterAddr + "' (its own host name or address, where the store listens)", e);
        }
        // loopback MASTER_ADDR: a job on one machine; keep the store off the network
        InetSocketAddress at = addr.isLoopbackAddress() ? new InetSocketAddress(addr, port) : new InetSocketAddress(port);
        // the port may be busy for a moment: this process's previous store on it (a closed
        // ServerSocket releases its port only when its accept thread has woken up), or a peer's
        // connect attempt that briefly reached itself (see connect); retry a little while
        long until = System.nanoTime() + BIND_RETRY.toNanos();
        while (true) {
          ss = new ServerSocket();
          ss.setReuseAddress(true);
          try {
            ss.bind(at, 128);
            break;
          } catch (java.net.BindException e) {
            closeQuietly(ss);
            if (port == 0 || System.nanoTime() > until) throw e;
            try {
              Thread.sleep(20);
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
              throw e;
            }
          }
        }
        Server s = new Server(ss, worldSize, generation);
        Thread t = new Thread(s::acceptLoop, "jnn-store-accept:" + ss.getLocalPort());
        t.setDaemon(true);
        t.start();
        return s;
      } catch (IOException e) {
        if (ss != null) closeQuietly(ss);
        throw new DistributedException("rank 0 cannot serve the rendezvous store on port " + port + " (" + e.getMessage()
            + "): is another job or a previous run still using it? Choose another MASTER_PORT", e);
      }
    }

    int port() { return listener.getLocalPort(); }

    private void acceptLoop() {
      while (!stopped) {
        try {
          Socket c = listener.accept();
          c.setTcpNoDelay(true);
          clients.add(c);
          Thread t = new Thread(() -> serve(c), "jnn-store-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          if (stopped) return;
        }
      }
    }

    private void serve(Socket c) {
      int rank = -1;
      boolean bye = false;
      try (c) {
        DataInputStream in = new DataInputStream(new BufferedInputStream(c.getInputStream()));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(c.getOutputStream()));
        c.setSoTimeout(30_000);  // the greeting comes at once from a jnn client
        int magic = in.readInt(), version = in.readInt();
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        if (magic != MAGIC || version != VERSION) {
          out.writeByte(ERROR);
          writeString(out, "not a jnn store client of protocol " + VERSION);
          out.flush();
          return;
        }
        int r = in.readInt(), world = in.readInt(), gen = in.readInt();
        if (generation > 0 && gen > 0 && gen != generation) {
          if (gen > generation) {
            out.writeByte(RETRY);   // that rank is already at a later group: it waits for rank 0 to serve it
          } else {
            out.writeByte(ERROR);
            writeString(out, "rank " + r + " opens its store for the " + gen + ". time but rank 0 for the " + generation
                + ". time: every rank must create the same process groups in the same order");
          }
          out.flush();
          return;
        }
        if (worldSize > 0 && world > 0 && world != worldSize) {
          out.writeByte(ERROR);
          writeString(out, "rank " + r + " has world size " + world + " but rank 0 has " + worldSize + ": launch every rank with the same WORLD_SIZE");
          out.flush();
          return;
        }
        if (worldSize > 0 && (r < -1 || r >= worldSize)) {
          out.writeByte(ERROR);
          writeString(out, "rank " + r + " is out of range for world size " + worldSize);
          out.flush();
          return;
        }
        rank = r;
        if (rank >= 0) synchronized (this) { ranks.put(rank, true); }
        out.writeByte(OK);
        out.flush();
        c.setSoTimeout(0);
        while (!stopped) {
          byte op = in.readByte();
          if (op == BYE) {
            bye = true;
            out.writeByte(OK);
            out.flush();
            return;
          }
          handle(op, in, out);
          out.flush();
        }
      } catch (IOException | RuntimeException e) {
        // EOF or reset: the client is gone (counted below); a protocol error closes its connection
      } finally {
        clients.remove(c);
        if (rank >= 0) {
          synchronized (this) {
            if (bye) ranks.remove(rank);
            else ranks.put(rank, false);
          }
        }
      }
    }

    private void handle(byte op, DataInputStream in, DataOutputStream out) throws IOException {
      switch (op) {
        case SET -> {
          String key = readKey(in);
          byte[] value = readBytes(in, MAX_VALUE_BYTES);
          synchronized (this) {
            data.put(key, value);
            notifyAll();
          }
          out.writeByte(OK);
        }
        case GET -> {
          String key = readKey(in);
          long timeoutMs = in.readLong();
          List<String> missing = awaitKeys(List.of(key), timeoutMs);
          if (!missing.isEmpty()) {
            out.writeByte(TIMEOUT);
            return;
          }
          byte[] v;
          synchronized (this) { v = data.get(key); }
          out.writeByte(OK);
          writeBytes(out, v);
        }
        case ADD -> {
          String key = readKey(in);
          long delta = in.readLong(), value;
          synchronized (this) {
            byte[] old = data.get(key);
            long before = old == null ? 0 : Long.parseLong(new String(old, StandardCharsets.UTF_8));
            value = before + delta;
            data.put(key, Long.toString(value).getBytes(StandardCharsets.UTF_8));
            notifyAll();
          }
          out.writeByte(OK);
          out.writeLong(value);
        }
        case WAIT -> {
          List<String> keys = readKeys(in);
          long timeoutMs = in.readLong();
          List<String> missing = awaitKeys(keys, timeoutMs);
          if (missing.isEmpty()) {
            out.writeByte(OK);
          } else {
            out.writeByte(TIMEOUT);
            out.writeInt(missing.size());
            for (String k : missing) writeString(out, k);
          }
        }
        case CHECK -> {
          List<String> keys = readKeys(in);
          boolean all;
          synchronized (this) { all = data.keySet().containsAll(keys); }
          out.writeByte(OK);
          out.writeByte(all ? 1 : 0);
        }
        case DELETE -> {
          String key = readKey(in);
          boolean existed;
          synchronized (this) { existed = data.remove(key) != null; }
          out.writeByte(OK);
          out.writeByte(existed ? 1 : 0);
        }
        case LOST -> {
          List<Integer> lost = new ArrayList<>();
          synchronized (this) {
            for (Map.Entry<Integer, Boolean> e : ranks.entrySet()) if (!e.getValue()) lost.add(e.getKey());
          }
          out.writeByte(OK);
          out.writeInt(lost.size());
          for (int r : lost) out.writeInt(r);
        }
        default -> throw new IOException("unknown store op " + op);
      }
    }

    /** Blocks this connection's thread until every key is set or {@code timeoutMs} passed; the keys still missing. */
    private synchronized List<String> awaitKeys(List<String> keys, long timeoutMs) {
      long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
      while (!stopped) {
        List<String> missing = new ArrayList<>();
        for (String k : keys) if (!data.containsKey(k)) missing.add(k);
        long left = deadline - System.nanoTime();
        if (missing.isEmpty() || left <= 0) return missing;
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return missing;
        }
      }
      return keys;
    }

    private static String readKey(DataInputStream in) throws IOException {
      return new String(readBytes(in, MAX_KEY_BYTES), StandardCharsets.UTF_8);
    }

    private static List<String> readKeys(DataInputStream in) throws IOException {
      int n = in.readInt();
      if (n < 0 || n > MAX_KEYS) throw new IOException("bad key count " + n);
      List<String> keys = new ArrayList<>(n);
      for (int i = 0; i < n; i++) keys.add(readKey(in));
      return keys;
    }

    @Override
    public void close() {
      stopped = true;
      closeQuietly(listener);
      synchronized (this) { notifyAll(); }
      synchronized (clients) {
        for (Socket c : clients) closeQuietly(c);
      }
    }
  }
}
