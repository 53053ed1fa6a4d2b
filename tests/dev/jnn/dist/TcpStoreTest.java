package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The rendezvous store in one process: operations, waits and their timeouts, lost ranks, bad peers. */
class TcpStoreTest {
  private static final Duration SHORT = Duration.ofMillis(300);

  @Test
  void setGetAddDeleteCheck() {
    try (TcpStore s = TcpStore.serveLocal(0)) {
      assertTrue(s.isServer());
      s.set("a", new byte[] {1, 2, 3});
      assertArrayEquals(new byte[] {1, 2, 3}, s.get("a", SHORT));
      s.set("a", new byte[0]);
      assertArrayEquals(new byte[0], s.get("a", SHORT));
      assertEquals(5, s.add("n", 5));
      assertEquals(3, s.add("n", -2));
      assertTrue(s.check(List.of("a", "n")));
      assertFalse(s.check(List.of("a", "missing")));
      assertTrue(s.delete("a"));
      assertFalse(s.delete("a"));
      assertFalse(s.check(List.of("a")));
    }
  }

  @Test
  void getWaitsForAnotherClientsSet() throws Exception {
    try (TcpStore server = TcpStore.serveLocal(0);
         TcpStore other = TcpStore.connect("127.0.0.1", server.port(), -1, -1, Duration.ofSeconds(5))) {
      CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> server.get("late", Duration.ofSeconds(10)));
      Thread.sleep(100);
      assertFalse(got.isDone());
      other.set("late", new byte[] {42});
      assertArrayEquals(new byte[] {42}, got.get(5, TimeUnit.SECONDS));
      other.await(List.of("late"), SHORT);
    }
  }

  @Test
  void timeoutsNameTheMissingKeys() {
    try (TcpStore s = TcpStore.serveLocal(0)) {
      s.set("here", new byte[] {1});
      long t0 = System.nanoTime();
      Store.StoreTimeoutException e = assertThrows(Store.StoreTimeoutException.class, () -> s.await(List.of("here", "x", "y"), SHORT));
      assertEquals(List.of("x", "y"), e.missingKeys());
      assertTrue(e.getMessage().contains("[x, y]"), e.getMessage());
      assertTrue((System.nanoTime() - t0) / 1e6 >= 250, "returned before the timeout");
      Store.StoreTimeoutException g = assertThrows(Store.StoreTimeoutException.class, () -> s.get("nope", SHORT));
      assertTrue(g.getMessage().contains("'nope' was never set"), g.getMessage());
      // the connection is still usable after a timeout
      assertArrayEquals(new byte[] {1}, s.get("here", SHORT));
    }
  }

  @Test
  void aClientThatDiesWithoutGoodbyeIsALostRank() throws Exception {
    try (TcpStore server = TcpStore.serveLocal(0)) {
      TcpStore polite = TcpStore.connect("127.0.0.1", server.port(), 1, -1, Duration.ofSeconds(5));
      polite.close();
      polite.close();  // idempotent
      // a raw client that greets as rank 2 and then vanishes, as a killed process's socket does
      try (Socket raw = new Socket("127.0.0.1", server.port())) {
        DataOutputStream out = new DataOutputStream(raw.getOutputStream());
        out.writeInt(TcpStore.MAGIC);
        out.writeInt(TcpStore.VERSION);
        out.writeInt(2);
        out.writeInt(-1);
        out.writeInt(-1);
        out.flush();
        raw.getInputStream().readNBytes(9);
      }
      List<Integer> lost = List.of();
      for (int i = 0; i < 50 && lost.isEmpty(); i++) {
        Thread.sleep(20);
        lost = server.lostRanks();
      }
      assertEquals(List.of(2), lost);
    }
  }

  @Test
  void connectingToNothingTimesOutNamingTheAddress() throws Exception {
    int port = CollectiveProcesses.freePort();
    DistributedException e = assertThrows(DistributedException.class,
        () -> TcpStore.connect("127.0.0.1", port, 1, 3, Duration.ofMillis(400)));
    assertTrue(e.getMessage().startsWith("rendezvous timed out after 0.4 s: rank 1 could not connect to the store of rank 0 at 127.0.0.1:" + port),
        e.getMessage());
  }

  @Test
  void somethingElseOnThePortIsNotTakenForAStore() throws Exception {
    try (ServerSocket fake = new ServerSocket(0)) {
      Thread t = new Thread(() -> {
        try (Socket c = fake.accept()) {
          c.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes());
          c.getOutputStream().flush();
          Thread.sleep(500);
        } catch (Exception ignored) {
          // the test asserts on the client side
        }
      });
      t.setDaemon(true);
      t.start();
      DistributedException e = assertThrows(DistributedException.class,
          () -> TcpStore.connect("127.0.0.1", fake.getLocalPort(), 0, 2, Duration.ofSeconds(5)));
      assertTrue(e.getMessage().contains("is not a jnn store"), e.getMessage());
    }
  }

  @Test
  void ranksOfAnotherWorldSizeAreRefused() {
    DistEnv rank0 = DistEnv.local(0, 3, CollectiveProcesses.freePort());
    try (TcpStore s = TcpStore.open(rank0, Duration.ofSeconds(5))) {
      DistributedException e = assertThrows(DistributedException.class,
          () -> TcpStore.connect("127.0.0.1", s.port(), 1, 4, Duration.ofSeconds(5)));
      assertTrue(e.getMessage().contains("rank 1 has world size 4 but rank 0 has 3"), e.getMessage());
    }
  }

  @Test
  void aTakenPortIsNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      DistributedException e = assertThrows(DistributedException.class,
          () -> TcpStore.open(DistEnv.local(0, 2, taken.getLocalPort()), Duration.ofSeconds(1)));
      assertTrue(e.getMessage().startsWith("rank 0 cannot serve the rendezvous store on port " + taken.getLocalPort()), e.getMessage());
    }
  }

  @Test
  void theClientSeesTheServerGo() {
    TcpStore server = TcpStore.serveLocal(0);
    try (TcpStore client = TcpStore.connect("127.0.0.1", server.port(), 1, -1, Duration.ofSeconds(5))) {
      server.close();
      DistributedException e = assertThrows(DistributedException.class, () -> client.get("k", Duration.ofSeconds(5)));
      assertTrue(e.getMessage().startsWith("rank 0 is gone: the store at 127.0.0.1:" + server.port()), e.getMessage());
    }
  }

  @Test
  void badArgumentsNeverReachTheWire() {
    try (TcpStore s = TcpStore.serveLocal(0)) {
      assertThrows(IllegalArgumentException.class, () -> s.set("", new byte[1]));
      assertThrows(NullPointerException.class, () -> s.set(null, new byte[1]));
      assertThrows(IllegalArgumentException.class, () -> s.get("k", Duration.ZERO));
      assertThrows(IllegalArgumentException.class, () -> s.set("x".repeat(TcpStore.MAX_KEY_BYTES + 1), new byte[1]));
      s.set("still", new byte[] {7});
      assertArrayEquals(new byte[] {7}, s.get("still", SHORT));
    }
  }
}
