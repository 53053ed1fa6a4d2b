package dev.jnn.train;

import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerRegistry;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The threading contract of one {@link Model} (README, "Threads"): inference calls
 * ({@code predict}, {@code evaluate}, {@code save}) may run in any number of threads at once;
 * calls that change the model ({@code fit}, {@code trainOnBatch}, {@code compile}, {@code init},
 * {@code to}, {@code loadWeights}, {@code forward}/{@code backward}, {@code release}) run alone and
 * are rejected with an {@link IllegalStateException} while another thread uses the model (in
 * either direction); the thread that holds the model may nest calls (a fit callback may predict).
 *
 * <p>A layer holds the activations of its last forward, so two threads cannot run one network.
 * Each inference call borrows an executor: the network itself when it is free, else a replica
 * (the same architecture rebuilt through the {@link LayerRegistry}, whose parameters share the
 * network's value tensors, as a graph's replicas of a shared layer do, and whose buffers are
 * copies), at most {@link #maxConcurrent} in all; further callers wait for one to come back.
 * Replicas are made on first need and kept (their own activation buffers, gradients they never
 * use); a change to the model makes them stale: the next borrow re-shares the parameters and
 * re-copies the buffers. Where replicas cannot be made (a layer type that is not registered or
 * does not rebuild to the same parameters, a model on a GPU device, a profiler attached), calls
 * take turns on the network: still correct, one at a time.
 */
final class InferencePool {
  private final Layer network;
  private boolean networkBusy;
  private int busy;                   // executors lent out (the network and replicas), at most maxConcurrent
  private final ArrayDeque<Replica> idle = new ArrayDeque<>();
  private final List<Replica> replicas = new ArrayList<>();
  private int maxConcurrent = Math.max(1, Runtime.getRuntime().availableProcessors());
  private String noReplicas;          // why replicas cannot be made for this network (null: not known to be impossible)

  private Thread owner;               // the thread running an exclusive call, or null
  private int ownerDepth;
  private String ownerCall;
  private int shared;                 // inference calls running (borrowers and saves)
  private long version;               // incremented when an exclusive call ends: replicas made before are stale

  /** A rebuilt network whose parameters alias the network's values. */
  private static final class Replica {
    final Layer layer;
    long version;

    Replica(Layer layer, long version) {
      this.layer = layer;
      this.version = version;
    }
  }

  InferencePool(Layer network) { this.network = network; }

  synchronized void setMaxConcurrent(int n) {
    if (n < 1) throw new IllegalArgumentException("maxConcurrentInference must be >= 1, got " + n);
    maxConcurrent = n;
    notifyAll();
  }

  synchronized int maxConcurrent() { return maxConcurrent; }

  /** Number of replicas made so far (the network itself not counted). */
  synchronized int replicaCount() { return replicas.size(); }

  /** Why inference calls take turns on the network instead of running on replicas; null when they can run on replicas. */
  synchronized String serializedReason() {
    if (noReplicas == null && replicas.isEmpty()) {
      try {
        LayerRegistry.encode(network);
      } catch (RuntimeException e) {
        noReplicas = "the network cannot be rebuilt through the LayerRegistry (" + e.getMessage() + ")";
      }
    }
    return serialReason();
  }

  // ---------------------------------------------------------------- exclusive calls

  /** Starts a call that changes the model; throws naming the conflict when another thread uses it. */
  synchronized void beginExclusive(String call) {
    Thread me = Thread.currentThread();
    if (owner == me) {
      ownerDepth++;
      return;
    }
    if (owner != null)
      throw new IllegalStateException(call + ": the model is in use by " + ownerCall + " in thread '" + owner.getName()
          + "'; calls that change a model run one at a time (README, \"Threads\")");
    if (shared > 0)
      throw new IllegalStateException(call + ": " + shared + " inference call(s) (predict, evaluate, save) are running on this model in other threads;"
          + " training or changing a model while it serves predictions is not allowed: wait for them, or train a copy (Model.load of a saved file)");
    owner = me;
    ownerDepth = 1;
    ownerCall = call;
  }

  /** Ends the call begun by {@link #beginExclusive}. */
  synchronized void endExclusive() {
    if (owner != Thread.currentThread()) throw new IllegalStateException("endExclusive without beginExclusive");
    if (--ownerDepth > 0) return;
    owner = null;
    ownerCall = null;
    version++;
    notifyAll();
  }

  /** Drops every replica (after a device move or a release): the next inference call makes new ones. Called inside an exclusive call. */
  synchronized void dropReplicas() {
    for (Replica r : replicas) r.layer.release();
    replicas.clear();
    idle.clear();
    noReplicas = null;
  }

  // ---------------------------------------------------------------- inference calls

  /** Starts an inference call that reads the model without running it (save); throws while another thread changes it. */
  synchronized void beginShared(String call) {
    Thread me = Thread.currentThread();
    if (owner != null && owner != me)
      throw new IllegalStateException(call + ": the model is being changed by " + ownerCall + " in thread '" + owner.getName()
          + "'; inference while a model trains is not allowed: wait for " + ownerCall + " to return (README, \"Threads\")");
    shared++;
  }

  synchronized void endShared() {
    shared--;
    notifyAll();
  }

  /**
   * Starts an inference call and returns the network to run it on: the model's own network, or a
   * replica with the model's current weights; waits while {@link #maxConcurrent} are in use.
   * Return it with {@link #giveBack}.
   */
  synchronized Layer borrow(String call) {
    beginShared(call);
    try {
      if (owner == Thread.currentThread()) return network;   // nested in the owner's exclusive call
      while (true) {
        if (busy < maxConcurrent) {
          if (!networkBusy) {
            networkBusy = true;
            busy++;
            return network;
          }
          if (serialReason() == null) {
            Replica r = idle.poll();
            if (r == null) r = newReplica();
            if (r != null) {
              if (r.version != version) sync(r);
              busy++;
              return r.layer;
            }
          }
        }
        wait();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      endShared();
      throw new IllegalStateException(call + ": interrupted while waiting for a free copy of the model", e);
    } catch (RuntimeException | Error e) {
      endShared();
      throw e;
    }
  }

  /** Returns what {@link #borrow} gave and ends the inference call. */
  synchronized void giveBack(Layer l) {
    if (l == network) {
      if (owner == Thread.currentThread()) {   // nested in the owner's exclusive call: not counted
        endShared();
        return;
      }
      networkBusy = false;
    } else {
      for (Replica r : replicas) if (r.layer == l) idle.push(r);
    }
    busy--;
    endShared();
  }

  private String serialReason() {
    if (noReplicas != null) return noReplicas;
    if (!network.device().isHost()) return "the model is on " + network.device() + " (inference calls on a device take turns)";
    if (ProfileHooks.listener() != null) return "a profiler or NVTX ranges are attached";
    return null;
  }

  /** A new replica, or null (and the reason recorded) when the network cannot be rebuilt to the same parameters. */
  private Replica newReplica() {
    Layer r;
    try {
      r = LayerRegistry.rebuild(network);
    } catch (RuntimeException e) {
      noReplicas = "the network cannot be rebuilt through the LayerRegistry (" + e.getMessage() + ")";
      return null;
    }
    r.to(network.device());
    Map<String, Parameter> mine = network.namedParameters(), theirs = r.namedParameters();
    Map<String, Tensor> myBuffers = network.buffers(), theirBuffers = r.buffers();
    if (!mine.keySet().equals(theirs.keySet()) || !myBuffers.keySet().equals(theirBuffers.keySet())) {
      r.release();
      noReplicas = "the rebuilt network's parameters or buffers differ from the network's (a registry entry that does not rebuild the same layer)";
      return null;
    }
    for (Map.Entry<String, Parameter> e : mine.entrySet()) {
      if (!e.getValue().value().sameShape(theirs.get(e.getKey()).value())) {
        r.release();
        noReplicas = "the rebuilt network's parameter '" + e.getKey() + "' has another shape";
        return null;
      }
    }
    r.setInputGradRequired(false);
    Replica rep = new Replica(r, version - 1);
    replicas.add(rep);
    return rep;
  }

  /** Points the replica's parameters at the network's current values and copies its buffers. */
  private void sync(Replica r) {
    Map<String, Parameter> mine = network.namedParameters(), theirs = r.layer.namedParameters();
    for (Map.Entry<String, Parameter> e : mine.entrySet()) {
      Parameter p = theirs.get(e.getKey());
      if (p.value() != e.getValue().value()) p.shareValueOf(e.getValue());
    }
    Map<String, Tensor> myBuffers = network.buffers(), theirBuffers = r.layer.buffers();
    for (Map.Entry<String, Tensor> e : myBuffers.entrySet()) theirBuffers.get(e.getKey()).copyFrom(e.getValue());
    r.version = version;
  }
}
