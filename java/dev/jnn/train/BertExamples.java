package dev.jnn.train;

import dev.jnn.nn.Bert;
import dev.jnn.nn.BertPooler;
import dev.jnn.nn.Dense;
import dev.jnn.nn.GELU;
import dev.jnn.nn.GatherPositions;
import dev.jnn.nn.Graph;
import dev.jnn.nn.LayerNorm;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.Sigmoid;
import java.util.Map;
import java.util.Objects;

/**
 * The models of {@code jnn train bert} and {@code jnn bench bert}, built as graphs around one
 * {@link Bert} node named {@value #ENCODER} (its parameters are {@code bert.embeddings...},
 * {@code bert.encoder.layers.0...}):
 *
 * <ul>
 *   <li>{@link #maskedLm}: inputs ids (T), key mask (T), positions (K); {@code bert} -> (B, T, d),
 *       {@link GatherPositions} -> (B, K, d), then BERT's prediction head, Dense(d, d) -> GELU ->
 *       LayerNorm -> Dense(d, V): logits (B, K, V) for softmax cross-entropy against the (B, K)
 *       original ids (the decoder is a Dense of its own, not tied to the word embeddings).
 *   <li>{@link #classifier}: inputs ids (T), key mask (T); {@code bert} -> {@link BertPooler}
 *       ([CLS]'s vector through Dense(d, d) and tanh) -> Dense(d, 1) -> Sigmoid, for binary
 *       cross-entropy.
 *   <li>{@link #tokenHead}: inputs ids (T), key mask (T); {@code bert} -> Dense(d, V) on every
 *       position: the benchmark shape.
 * </ul>
 *
 * <pre>{@code
 * Bert.Config c = BertExamples.config(vocab.size(), 64, 128, 4, 4, 512);
 * Model mlm = BertExamples.maskedLm(c, 64, 10, 1);                       // pre-train this ...
 * mlm.compile(new SoftmaxCrossEntropyLoss(), AdamW.builder().lr(5e-4).build());
 * Model cls = BertExamples.classifier(c, 41, 2);                         // ... then fine-tune this
 * BertExamples.copyEncoder(mlm, cls);                                   // the pre-trained encoder's weights
 * cls.compile(new BceLoss(), AdamW.builder().lr(1e-4).build());
 * }</pre>
 */
public final class BertExamples {
  private BertExamples() {}

  /** The graph node (and parameter prefix) of the encoder in every model built here. */
  public static final String ENCODER = "bert";
  /** Dropout of the encoder (BERT's hidden_dropout_prob). */
  public static final double DROPOUT = 0.1;

  /**
   * An encoder configuration: BERT's post-LN GELU layers, {@code seqLen} positions, no segment
   * input, dropout {@value #DROPOUT}, LayerNorm eps 1e-12.
   */
  public static Bert.Config config(int vocabulary, int seqLen, int hidden, int layers, int heads, int intermediate) {
    return new Bert.Config(vocabulary, hidden, layers, heads, intermediate, seqLen, 0, DROPOUT, 1e-12);
  }

  /** The masked-language model: see the class comment; {@code seqLen} <= the config's positions, k masked positions per sequence. */
  public static Model maskedLm(Bert.Config c, int seqLen, int k, long seed) {
    Objects.requireNonNull(c, "config");
    if (k < 1 || k > seqLen) throw new IllegalArgumentException("BertExamples.maskedLm: k must be in [1, " + seqLen + "], got " + k);
    Graph.Builder g = Graph.builder();
    Graph.Node ids = g.input("ids", seqLen), keep = g.input("mask", seqLen), positions = g.input("positions", k);
    Graph.Node seq = g.apply(ENCODER, new Bert(c), ids, keep);
    Graph.Node picked = g.apply("gather", new GatherPositions(), seq, positions);
    int d = c.hidden();
    Graph.Node h = g.apply("mlm_norm", new LayerNorm(d, c.layerNormEps()), g.apply("mlm_act", new GELU(), g.apply("mlm_transform", new Dense(d, d), picked)));
    return Model.of(g.build(g.apply("mlm_decoder", new Dense(d, c.vocabulary()), h))).init(seed);
  }

  /** The sentence classifier: see the class comment. */
  public static Model classifier(Bert.Config c, int seqLen, long seed) {
    Objects.requireNonNull(c, "config");
    Graph.Builder g = Graph.builder();
    Graph.Node ids = g.input("ids", seqLen), keep = g.input("mask", seqLen);
    Graph.Node pooled = g.apply("pooler", new BertPooler(c.hidden()), g.apply(ENCODER, new Bert(c), ids, keep));
    return Model.of(g.build(g.apply("sigmoid", new Sigmoid(), g.apply("classifier", new Dense(c.hidden(), 1), pooled)))).init(seed);
  }

  /** The benchmark model: the encoder, then Dense(d, V) on every position: logits (B, T, V). */
  public static Model tokenHead(Bert.Config c, int seqLen, long seed) {
    Objects.requireNonNull(c, "config");
    Graph.Builder g = Graph.builder();
    Graph.Node ids = g.input("ids", seqLen), keep = g.input("mask", seqLen);
    Graph.Node seq = g.apply(ENCODER, new Bert(c), ids, keep);
    return Model.of(g.build(g.apply("head", new Dense(c.hidden(), c.vocabulary()), seq))).init(seed);
  }

  /** The encoder of a model built here (its {@value #ENCODER} node). */
  public static Bert encoder(Model m) {
    Objects.requireNonNull(m, "model");
    if (!(m.network() instanceof Graph g) || !(g.layerAt(ENCODER) instanceof Bert b))
      throw new IllegalArgumentException("BertExamples.encoder: " + m + " has no Bert node '" + ENCODER + "'");
    return b;
  }

  /**
   * Copies the encoder's weights of {@code from} into {@code to} (models built here with encoders
   * of the same configuration, on any devices); the other layers of {@code to} keep theirs.
   */
  public static void copyEncoder(Model from, Model to) {
    Bert a = encoder(from), b = encoder(to);
    if (!a.config().equals(b.config()))
      throw new IllegalArgumentException("BertExamples.copyEncoder: encoders differ: " + a.config() + " vs " + b.config());
    Map<String, Parameter> dst = b.namedParameters();
    for (Map.Entry<String, Parameter> e : a.namedParameters().entrySet()) dst.get(e.getKey()).value().copyFrom(e.getValue().value());
  }
}
