package dev.jnn.data.text;

import dev.jnn.data.Dataset;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Line-based labelled texts for text classification: read from a file of
 * {@code label<TAB>text} lines, or built from two texts (class 0, class 1) split into sentences;
 * split into training and held-out parts by a seeded shuffle; encoded with a {@link Tokenizer}
 * fitted on the training part only into a {@link Encoded} data set: features (n, maxLen) float
 * ids, targets (n, 1) labels, and the padding mask (n, maxLen).
 *
 * <pre>{@code
 * List<LabelledText.Example> all = LabelledText.readTsv(Path.of("reviews.tsv"));  // "1<TAB>great film"
 * LabelledText.Task task = LabelledText.task(all, 0.2, 7, 2000, 40);  // 20% held out, seed 7, 2000 words, length 40
 * Dataset train = task.train().dataset();   // features (n, 40) ids, targets (n, 1) 0/1
 * Tensor mask = task.train().mask();        // 1 for words (OOV included), 0 for padding
 * }</pre>
 */
public final class LabelledText {
  private LabelledText() {}

  /** One text and its class id. */
  public record Example(int label, String text) {
    public Example {
      Objects.requireNonNull(text, "text");
      if (label < 0) throw new IllegalArgumentException("LabelledText: label must be >= 0, got " + label);
    }
  }

  /** Training and held-out examples. */
  public record Split(List<Example> train, List<Example> heldOut) {}

  /** Examples encoded with a tokenizer: the data set (features (n, maxLen) ids, targets (n, 1)) and the mask (n, maxLen). */
  public record Encoded(List<Example> examples, Dataset dataset, Tensor mask) {
    public int size() { return examples.size(); }
  }

  /** The tokenizer fitted on the training part, and both parts encoded with it. */
  public record Task(Tokenizer tokenizer, int maxLen, Encoded train, Encoded heldOut) {}

  /** Parses {@code label<TAB>text} lines (blank lines skipped); {@code source} names the origin in errors. */
  public static List<Example> parseTsv(String content, String source) {
    Objects.requireNonNull(content, "content");
    List<Example> out = new ArrayList<>();
    String[] lines = content.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank()) continue;
      int tab = line.indexOf('\t');
      if (tab < 0)
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": no TAB; each line must be 'label<TAB>text', got '" + abbreviate(line) + "'");
      String l = line.substring(0, tab).trim(), text = line.substring(tab + 1);
      int label;
      try {
        label = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        label = -1;
      }
      if (label < 0)
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": label '" + abbreviate(l) + "' is not a class id (0, 1, ...)");
      if (text.isBlank()) throw new IllegalArgumentException(source + " line " + (i + 1) + ": the text after the TAB is empty");
      out.add(new Example(label, text.strip()));
    }
    if (out.isEmpty()) throw new IllegalArgumentException(source + ": no 'label<TAB>text' lines");
    return out;
  }

  /** {@link #parseTsv} of a UTF-8 file. */
  public static List<Example> readTsv(Path file) throws IOException {
    return parseTsv(TextFiles.read(file, "pass a UTF-8 file of 'label<TAB>text' lines, or use LicenseTexts.task for the built-in task"), file.toString());
  }

  private static final Pattern SENTENCE_END = Pattern.compile("[.;:]|\\r?\\n[ \\t]*\\r?\\n");

  /**
   * Sentences of a text: split at '.', ';', ':' and blank lines, white space collapsed to single
   * spaces, fragments of fewer than {@code minWords} words (see {@link Tokenizer#words}) skipped.
   */
  public static List<String> sentences(String text, int minWords) {
    TextFiles.requireText(text, "LabelledText.sentences");
    List<String> out = new ArrayList<>();
    for (String s : SENTENCE_END.split(text)) {
      String t = s.strip().replaceAll("\\s+", " ");
      if (Tokenizer.words(t).size() >= minWords) out.add(t);
    }
    return out;
  }

  /** The sentences of {@code class0} labelled 0 followed by those of {@code class1} labelled 1. */
  public static List<Example> fromTwoTexts(String class0, String class1, int minWords) {
    List<Example> out = new ArrayList<>();
    List<String> a = sentences(TextFiles.requireText(class0, "LabelledText class 0"), minWords);
    List<String> b = sentences(TextFiles.requireText(class1, "LabelledText class 1"), minWords);
    if (a.isEmpty() || b.isEmpty())
      throw new IllegalArgumentException("LabelledText: class " + (a.isEmpty() ? 0 : 1) + "'s text holds no sentence of at least " + minWords + " words");
    for (String s : a) out.add(new Example(0, s));
    for (String s : b) out.add(new Example(1, s));
    return out;
  }

  /**
   * Shuffles a copy of the examples with {@code SplittableRandom(seed)} (Fisher-Yates) and holds out
   * the last {@code round(n * heldOutFraction)} (at least one each side).
   */
  public static Split split(List<Example> examples, double heldOutFraction, long seed) {
    Objects.requireNonNull(examples, "examples");
    if (!(heldOutFraction > 0 && heldOutFraction < 1))
      throw new IllegalArgumentException("LabelledText.split: held-out fraction must be in (0, 1), got " + heldOutFraction);
    int n = examples.size();
    if (n < 2) throw new IllegalArgumentException("LabelledText.split: need at least 2 examples to split, got " + n);
    List<Example> s = new ArrayList<>(examples);
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      Example t = s.get(i);
      s.set(i, s.get(j));
      s.set(j, t);
    }
    int held = (int) Math.max(1, Math.min(n - 1, Math.round(n * heldOutFraction)));
    return new Split(List.copyOf(s.subList(0, n - held)), List.copyOf(s.subList(n - held, n)));
  }

  /** Encodes examples: features (n, maxLen) ids (post-padded and truncated), targets (n, 1) labels, mask (n, maxLen) 1 where a word is. */
  public static Encoded encode(List<Example> examples, Tokenizer tokenizer, int maxLen) {
    Objects.requireNonNull(examples, "examples");
    Objects.requireNonNull(tokenizer, "tokenizer");
    if (maxLen < 1) throw new IllegalArgumentException("LabelledText.encode: maxLen must be >= 1, got " + maxLen);
    int n = examples.size();
    float[] x = new float[n * maxLen], y = new float[n], m = new float[n * maxLen];
    for (int i = 0; i < n; i++) {
      int[] ids = tokenizer.encode(examples.get(i).text(), maxLen);
      for (int t = 0; t < maxLen; t++) {
        x[i * maxLen + t] = ids[t];
        m[i * maxLen + t] = ids[t] == Tokenizer.PAD ? 0f : 1f;
      }
      y[i] = examples.get(i).label();
    }
    return new Encoded(List.copyOf(examples), new Dataset(Tensor.of(x, n, maxLen), Tensor.of(y, n, 1)), Tensor.of(m, n, maxLen));
  }

  /** Seeded split, tokenizer fitted on the training texts only ({@code maxWords} words), both parts encoded to {@code maxLen}. */
  public static Task task(List<Example> examples, double heldOutFraction, long seed, int maxWords, int maxLen) {
    Split s = split(examples, heldOutFraction, seed);
    Tokenizer tok = Tokenizer.fit(s.train().stream().map(Example::text).toList(), maxWords);
    return new Task(tok, maxLen, encode(s.train(), tok, maxLen), encode(s.heldOut(), tok, maxLen));
  }

  private static String abbreviate(String s) { return s.length() <= 40 ? s : s.substring(0, 40) + "..."; }
}
