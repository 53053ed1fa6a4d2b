package dev.jnn.train;

import dev.jnn.data.text.CharVocabulary;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Embedding;
import dev.jnn.nn.GlobalAvgPool1d;
import dev.jnn.nn.LSTM;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sigmoid;
import dev.jnn.nn.TimeDistributed;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The two sequence examples of {@code jnn train}: a character-level LSTM language model and an
 * Embedding + average-pool text classifier (the classic tutorials' networks).
 *
 * <pre>{@code
 * Model lm = SequenceExamples.charLstm(vocab.size(), 1);             // ids (B, T) -> logits (B, T, V)
 * lm.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(2e-3).build());
 * String s = SequenceExamples.sample(lm, vocab, "The ", 200, 0.8, new SplittableRandom(1));
 * }</pre>
 */
public final class SequenceExamples {
  private SequenceExamples() {}

  /** Width of the character embedding feeding the LSTM (a learned stand-in for one-hot input). */
  public static final int CHAR_EMBEDDING = 64;
  /** Hidden size of each of the two stacked LSTM layers. */
  public static final int LSTM_HIDDEN = 128;
  /** Longest context the sampler feeds back (the training sequence length). */
  public static final int SAMPLE_CONTEXT = 100;

  /**
   * Embedding(V, 64) -> LSTM(64 -> 128, 2 layers, whole sequence) -> Dense(128 -> V) at every step:
   * ids (B, T) to next-character logits (B, T, V), trained with softmax cross-entropy.
   */
  public static Model charLstm(int vocabularySize, long seed) {
    return Model.sequential(new Embedding(vocabularySize, CHAR_EMBEDDING),
        LSTM.builder().inputSize(CHAR_EMBEDDING).hiddenSize(LSTM_HIDDEN).numLayers(2).returnSequences(true).build(),
        new TimeDistributed(new Dense(LSTM_HIDDEN, vocabularySize))).init(seed);
  }

  /**
   * The text-classification tutorial's network: Embedding(vocab, 16) -> GlobalAvgPool1d ->
   * Dense(16 -> 24, ReLU) -> Dense(24 -> 1, Sigmoid), for binary cross-entropy.
   */
  public static Model textClassifier(int vocabularySize, long seed) {
    return Model.sequential(new Embedding(vocabularySize, 16), new GlobalAvgPool1d(), new Dense(16, 24), new ReLU(), new Dense(24, 1),
        new Sigmoid()).init(seed);
  }

  /**
   * Generates {@code length} characters after {@code seedText} from a character language model:
   * each step feeds the last {@link #SAMPLE_CONTEXT} characters, takes the logits of the last
   * position, divides them by {@code temperature} and samples from their softmax.
   */
  public static String sample(Model model, CharVocabulary vocab, String seedText, int length, double temperature, SplittableRandom rng) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(vocab, "vocabulary");
    if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    if (length < 0) throw new IllegalArgumentException("length must be >= 0, got " + length);
    int[] seedIds = vocab.encode(seedText);
    if (seedIds.length == 0) throw new IllegalArgumentException("the seed text must not be empty");
    int[] ids = java.util.Arrays.copyOf(seedIds, seedIds.length + length);
    int n = seedIds.length;
    StringBuilder out = new StringBuilder(seedText);
    for (int step = 0; step < length; step++) {
      int t = Math.min(n, SAMPLE_CONTEXT);
      float[] x = new float[t];
      for (int i = 0; i < t; i++) x[i] = ids[n - t + i];
      float[] z;   // the logits (1, t, V) on the host
      int v;
      try (Tensor in = Tensor.of(Device.JAVA, x, 1, t).to(model.device()); Tensor logits = model.predict(in, 1)) {   // device copies closed
        v = logits.dim(-1);
        z = logits.toArray();
      }
      int base = (t - 1) * v;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < v; k++) max = Math.max(max, z[base + k] / temperature);
      double[] p = new double[v];
      double sum = 0;
      for (int k = 0; k < v; k++) sum += p[k] = Math.exp(z[base + k] / temperature - max);
      double u = rng.nextDouble() * sum;
      int next = v - 1;
      for (int k = 0; k < v; k++) {
        u -= p[k];
        if (u < 0) {
          next = k;
          break;
        }
      }
      ids[n++] = next;
      out.appendCodePoint(vocab.codePoint(next));
    }
    return out.toString();
  }
}
