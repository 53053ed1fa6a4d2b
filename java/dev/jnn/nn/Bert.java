package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;

/**
 * A BERT-style encoder: token and position (and, optionally, segment) embeddings summed, layer
 * normalization and dropout, then N post-LN transformer encoder layers with GELU feed-forward
 * blocks, all given the key mask. Token ids (B, T) and the mask (B, T) of 1 = token, 0 = padding
 * in (and token type ids (B, T) when {@code typeVocabulary > 0}); the sequence output (B, T, d)
 * out. {@link BertPooler} turns the first position into a sentence vector.
 *
 * <pre>{@code
 * Bert bert = Bert.builder(2000).hidden(128).layers(4).heads(4).intermediate(512).maxPositions(128).build();
 * Graph.Builder g = Graph.builder();
 * Graph.Node ids = g.input("ids", 64), keep = g.input("mask", 64);
 * Graph.Node seq = g.apply("bert", bert, ids, keep);                         // (B, 64, 128)
 * Graph.Node logits = g.apply("mlm", new Dense(128, 2000), seq);            // a token head on every position
 * }</pre>
 *
 * Parameter names (under the model's own path): {@code embeddings.word_embeddings.weight},
 * {@code embeddings.position_embeddings.weight}, {@code embeddings.token_type_embeddings.weight},
 * {@code embeddings.LayerNorm.weight}, {@code encoder.layers.0.self_attn.in_proj_weight}, ...:
 * Hugging Face's BERT names after the mapping that {@code dev.jnn.io.HuggingFaceBert} documents
 * and applies (query, key and value stacked into {@code in_proj_weight}; attention.output.dense
 * is {@code self_attn.out_proj}; attention.output.LayerNorm {@code norm1}; intermediate.dense
 * {@code linear1}; output.dense {@code linear2}; output.LayerNorm {@code norm2}).
 */
public final class Bert extends Layer {
  private final Config config;
  private final Embeddings embeddings;
  private final TransformerEncoder encoder;
  private final List<Child> children;
  private final Tensor[] encIn = new Tensor[2];
  private Tensor lastOut;

  /** The sizes: BERT's names (vocab_size, hidden_size, num_hidden_layers, ...). */
  public record Config(int vocabulary, int hidden, int layers, int heads, int intermediate, int maxPositions, int typeVocabulary, double dropout,
                       double layerNormEps) {
    public Config {
      if (vocabulary < 1 || hidden < 1 || layers < 1 || heads < 1 || intermediate < 1 || maxPositions < 1 || typeVocabulary < 0)
        throw new IllegalArgumentException("Bert: sizes must be >= 1 (typeVocabulary >= 0), got " + vocabulary + ", " + hidden + ", " + layers + ", " + heads
            + ", " + intermediate + ", " + maxPositions + ", " + typeVocabulary);
      if (hidden % heads != 0) throw new IllegalArgumentException("Bert: hidden " + hidden + " must be divisible by heads " + heads);
    }
  }

  /** BERT-base's shape by default (hidden 768, 12 layers, 12 heads, intermediate 3072, 512 positions, 2 types, dropout 0.1, eps 1e-12). */
  public static final class Builder {
    private final int vocabulary;
    private int hidden = 768, layers = 12, heads = 12, intermediate = 3072, maxPositions = 512, types = 2;
    private double dropout = 0.1, eps = 1e-12;

    private Builder(int vocabulary) { this.vocabulary = vocabulary; }

    public Builder hidden(int h) { hidden = h; return this; }
    public Builder layers(int n) { layers = n; return this; }
    public Builder heads(int n) { heads = n; return this; }
    public Builder intermediate(int n) { intermediate = n; return this; }
    public Builder maxPositions(int n) { maxPositions = n; return this; }
    /** Segment (token type) vocabulary; 0: no segment input. */
    public Builder typeVocabulary(int n) { types = n; return this; }
    public Builder dropout(double p) { dropout = p; return this; }
    public Builder layerNormEps(double e) { eps = e; return this; }

    public Bert build() { return new Bert(new Config(vocabulary, hidden, layers, heads, intermediate, maxPositions, types, dropout, eps)); }
  }

  public static Builder builder(int vocabulary) { return new Builder(vocabulary); }

  public Bert(Config c) {
    this.config = c;
    this.embeddings = new Embeddings(c);
    this.encoder = new TransformerEncoder(TransformerEncoderLayer.builder(c.hidden(), c.heads()).feedForward(c.intermediate()).dropout(c.dropout())
        .activation(TransformerEncoderLayer.Activation.GELU).layerNormEps(c.layerNormEps()).maskInput(true), c.layers(), null);
    this.children = List.of(child("embeddings", embeddings), child("encoder", encoder));
  }

  public Config config() { return config; }
  public TransformerEncoder encoder() { return encoder; }
  public Layer embeddings() { return embeddings; }

  @Override public String name() { return "Bert(vocab " + config.vocabulary() + ", hidden " + config.hidden() + ", " + config.layers() + " layers)"; }
  @Override public List<Child> children() { return children; }
  @Override public int arity() { return config.typeVocabulary() > 0 ? 3 : 2; }

  @Override
  public int[] outputShape(int[][] s) {
    if (s.length != arity())
      throw new IllegalArgumentException(name() + ": takes " + (arity() == 3 ? "ids, mask and token types" : "ids and mask") + ", got " + s.length + " input(s)");
    for (int[] x : s)
      if (x.length != 2 || !Graph.sameShape(x, s[0]) || (s[0][1] > config.maxPositions()))
        throw new IllegalArgumentException(name() + ": inputs must all be [batch, steps <= " + config.maxPositions() + "], got " + MergeLayer.shapes(s));
    return new int[] {s[0][0], s[0][1], config.hidden()};
  }

  @Override
  public int[] outputShape(int[] s) { throw new IllegalArgumentException(name() + ": takes " + arity() + " inputs"); }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    throw new IllegalArgumentException(name() + ": takes ids and a mask: forward(new Tensor[] {ids, mask}, training)");
  }

  @Override
  public Tensor forward(Tensor[] in, boolean training) {
    if (in == null || in.length != arity()) throw new IllegalArgumentException(name() + ": takes " + arity() + " inputs");
    boolean ok = true;
    for (Tensor t : in) {
      checkInput(t);
      ok &= t.rank() == 2 && t.dim(0) == in[0].dim(0) && t.dim(1) == in[0].dim(1) && t.dim(1) <= config.maxPositions();
    }
    if (!ok) {   // the shapes, for the message
      int[][] shapes = new int[in.length][];
      for (int i = 0; i < in.length; i++) shapes[i] = in[i].shape();
      outputShape(shapes);
    }
    embeddings.typeIds = in.length > 2 ? in[2] : null;
    encIn[0] = embeddings.call(in[0], training);
    encIn[1] = in[1];
    lastOut = encoder.call(encIn, training);
    return lastOut;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (lastOut == null) throw new IllegalStateException(name() + ": backward called before forward");
    embeddings.callBackward(encoder.callBackward(dy));
    return null;   // ids, mask and token types are integral: no gradient
  }

  @Override
  protected void onDeviceChanged() { lastOut = null; }

  static void writeConfig(Bert b, LayerConfig c) {
    Config k = b.config;
    c.put("vocab_size", k.vocabulary()).put("hidden_size", k.hidden()).put("num_hidden_layers", k.layers()).put("num_attention_heads", k.heads())
        .put("intermediate_size", k.intermediate()).put("max_position_embeddings", k.maxPositions()).put("type_vocab_size", k.typeVocabulary())
        .put("hidden_dropout_prob", k.dropout()).put("layer_norm_eps", k.layerNormEps());
  }

  static Bert fromConfig(LayerConfig c) {
    return new Bert(new Config(c.getInt("vocab_size"), c.getInt("hidden_size"), c.getInt("num_hidden_layers"), c.getInt("num_attention_heads"),
        c.getInt("intermediate_size"), c.getInt("max_position_embeddings"), c.getInt("type_vocab_size"), c.getDouble("hidden_dropout_prob"),
        c.getDouble("layer_norm_eps")));
  }

  /** word + position (+ token type) embeddings, LayerNorm, dropout: BERT's embeddings block (its child names). */
  static final class Embeddings extends Layer {
    private final Embedding words, typeTable;
    private final PositionalEmbedding positions;
    private final LayerNorm norm;
    private final Dropout dropout;
    private final List<Child> children;
    private final ShapeCache<Tensor> sums = new ShapeCache<>();
    Tensor typeIds;   // the token type ids of the current forward (null: none)

    Embeddings(Config c) {
      words = new Embedding(c.vocabulary(), c.hidden());
      positions = new PositionalEmbedding(c.maxPositions(), c.hidden());
      typeTable = c.typeVocabulary() > 0 ? new Embedding(c.typeVocabulary(), c.hidden()) : null;
      norm = new LayerNorm(c.hidden(), c.layerNormEps());
      dropout = new Dropout((float) c.dropout());
      children = typeTable == null
          ? List.of(child("word_embeddings", words), child("position_embeddings", positions), child("LayerNorm", norm), child("dropout", dropout))
          : List.of(child("word_embeddings", words), child("position_embeddings", positions), child("token_type_embeddings", typeTable),
              child("LayerNorm", norm), child("dropout", dropout));
    }

    @Override public String name() { return "BertEmbeddings"; }
    @Override public List<Child> children() { return children; }
    @Override public int[] outputShape(int[] s) { return positions.outputShape(words.outputShape(s)); }

    @Override
    public Tensor forward(Tensor ids, boolean training) {
      Tensor e = positions.call(words.call(ids, training), training);   // word + position
      if (typeTable != null && typeIds != null) {
        Tensor te = typeTable.call(typeIds, training);
        Tensor s = sums.get(e);
        if (s == null) s = sums.put(e, Tensor.zeros(device(), e.shape()));
        backend.add(e, te, s);
        e = s;
      }
      return dropout.call(norm.call(e, training), training);
    }

    @Override
    public Tensor backward(Tensor dy) {
      Tensor de = norm.callBackward(dropout.callBackward(dy));
      if (typeTable != null && typeIds != null) typeTable.callBackward(de);
      words.callBackward(positions.callBackward(de));
      return null;
    }

    @Override
    protected void onDeviceChanged() { sums.clear(); }
  }
}
