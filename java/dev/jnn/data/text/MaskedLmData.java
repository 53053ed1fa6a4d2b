package dev.jnn.data.text;

import dev.jnn.data.Dataset;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Masked-language-model data for BERT-style pre-training on plain text, by default the text every
 * Debian machine has: the licences in {@code /usr/share/common-licenses} and the packages'
 * {@code /usr/share/doc/<package>/copyright} files.
 *
 * <p><b>Corpus.</b> {@link #prepare} splits each document into paragraphs (runs of lines between
 * blank lines, or lines holding only '.', the empty line of Debian's machine-readable copyright
 * format), keeps each paragraph once (the same GPL paragraphs recur in hundreds of copyright
 * files; a paragraph's identity is its words, lower-cased), and puts each unique paragraph in the
 * held-out part with probability {@code heldOutFraction} (seeded). The word-level
 * {@link Tokenizer} is fitted on the training paragraphs only. Each part's paragraphs, in corpus
 * order, are concatenated into one stream of word ids and cut into windows of {@code seqLen - 1}
 * words with {@code [CLS]} in front (BERT packs text the same way); the last, partial window of
 * each part is dropped, so pre-training windows have no padding.
 *
 * <p><b>Vocabulary.</b> {@link Vocabulary}: the tokenizer's ids ({@code <pad>} 0, {@code <oov>}
 * 1, words 2 .. w+1) and two more after them: {@code [MASK]} = {@code tokenizer.size()},
 * {@code [CLS]} = {@code tokenizer.size() + 1}; an embedding needs {@code size()} =
 * {@code tokenizer.size() + 2} rows. Neither is a word (words hold letters and digits only), so
 * no text encodes to them; the serialized tokenizer ({@link Tokenizer#serialize()}) is all it takes
 * to rebuild the ids.
 *
 * <p><b>Masking.</b> {@link #mask} applies BERT's recipe with a fixed count per sequence, so the
 * shapes are fixed: {@code K = round(0.15 T)} positions ({@link #maskedPositions}) chosen
 * uniformly without replacement among the real tokens (not {@code [CLS]}, not padding); each is
 * replaced by {@code [MASK]} with probability 0.8, by a uniformly random word (ids 2 .. w+1)
 * with probability 0.1, and left unchanged otherwise. The data set has three inputs, ids (n, T),
 * key mask (n, T) (1 = token, 0 = padding) and positions (n, K) (ascending), for
 * {@code dev.jnn.nn.GatherPositions}; the targets (n, K) are the original ids there.
 * Re-masking every epoch with a new RNG state (RoBERTa's dynamic masking) shows the model new
 * positions of the same text.
 *
 * <pre>{@code
 * MaskedLmData.Corpus c = MaskedLmData.prepare(MaskedLmData.debianTexts(true).documents(), 8000, 64, 0.1, 1);
 * int k = MaskedLmData.maskedPositions(64);                                  // 10
 * Dataset epoch = MaskedLmData.mask(c.train(), c.vocabulary(), k, new SplittableRandom(epochSeed));
 * // epoch.input(0) ids (n, 64), input(1) key mask (n, 64), input(2) positions (n, 10); targets (n, 10)
 * Dataset sentences = MaskedLmData.encodeWithCls(task.train().examples(), c.vocabulary(), 41);   // fine-tuning
 * }</pre>
 */
public final class MaskedLmData {
  private MaskedLmData() {}

  /** Fraction of the positions of a sequence that are masked (BERT's 15%). */
  public static final double MASK_FRACTION = 0.15;
  /** Of the masked positions: the share replaced by [MASK] and the share replaced by a random word; the rest stay unchanged. */
  public static final double TO_MASK = 0.8, TO_RANDOM = 0.1;
  /** Where Debian keeps each package's copyright file: {@code /usr/share/doc/<package>/copyright}. */
  public static final Path DOC_DIR = Path.of("/usr/share/doc");

  /** A text and where it came from. */
  public record Document(String source, String text) {
    public Document {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(text, "text");
    }
  }

  /** The documents read, by kind, their UTF-8 bytes, and the files skipped (not UTF-8, unreadable) with the reason. */
  public record Sources(List<Document> documents, int licenceFiles, int copyrightFiles, long bytes, List<String> skipped) {}

  /** The words and the two extra ids of BERT's input: see the class comment. */
  public record Vocabulary(Tokenizer tokenizer) {
    public static final String MASK_TOKEN = "[MASK]", CLS_TOKEN = "[CLS]";

    public Vocabulary { Objects.requireNonNull(tokenizer, "tokenizer"); }

    /** The id of [MASK]: {@code tokenizer.size()}. */
    public int mask() { return tokenizer.size(); }
    /** The id of [CLS]: {@code tokenizer.size() + 1}. */
    public int cls() { return tokenizer.size() + 1; }
    /** Number of ids: the tokenizer's plus [MASK] and [CLS]. */
    public int size() { return tokenizer.size() + 2; }

    /** The token of an id: a word, {@code <pad>}, {@code <oov>}, [MASK] or [CLS]. */
    public String token(int id) { return id == mask() ? MASK_TOKEN : id == cls() ? CLS_TOKEN : tokenizer.word(id); }

    /** Exactly {@code length} ids: [CLS], the text's first {@code length - 1} word ids, then padding (0). */
    public int[] encodeWithCls(String text, int length) {
      if (length < 2) throw new IllegalArgumentException("Vocabulary.encodeWithCls: length must be >= 2 ([CLS] and a word), got " + length);
      int[] words = tokenizer.encode(text);
      int[] out = new int[length];
      out[0] = cls();
      System.arraycopy(words, 0, out, 1, Math.min(words.length, length - 1));
      return out;
    }
  }

  /** {@code count} windows of {@code length} ids, row-major in {@code ids}. */
  public record Windows(int[] ids, int count, int length) {
    public Windows {
      Objects.requireNonNull(ids, "ids");
      if (count < 0 || length < 1 || ids.length != count * length)
        throw new IllegalArgumentException("Windows: " + ids.length + " ids are not " + count + " windows of " + length);
    }

    /** The ids of window i (a copy). */
    public int[] window(int i) { return Arrays.copyOfRange(ids, i * length, (i + 1) * length); }

    /** n windows drawn at random without replacement (seeded), in their original order; all of them when n >= count. */
    public Windows sample(int n, long seed) {
      if (n < 0) throw new IllegalArgumentException("Windows.sample: n must be >= 0, got " + n);
      if (n >= count) return this;
      int[] idx = new int[count];
      for (int i = 0; i < count; i++) idx[i] = i;
      SplittableRandom r = new SplittableRandom(seed);
      for (int i = 0; i < n; i++) {
        int j = i + r.nextInt(count - i);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      int[] chosen = Arrays.copyOf(idx, n);
      Arrays.sort(chosen);
      int[] out = new int[n * length];
      for (int i = 0; i < n; i++) System.arraycopy(ids, chosen[i] * length, out, i * length, length);
      return new Windows(out, n, length);
    }

    /** The first n windows. */
    public Windows first(int n) {
      if (n < 0 || n > count) throw new IllegalArgumentException("Windows.first: n must be in [0, " + count + "], got " + n);
      return new Windows(Arrays.copyOf(ids, n * length), n, length);
    }
  }

  /**
   * The prepared corpus: the vocabulary, the training and held-out windows, and what went into
   * them (paragraphs before and after removing repeats, words of each part).
   */
  public record Corpus(Vocabulary vocabulary, Windows train, Windows heldOut, int documents, int paragraphs, int uniqueParagraphs, long trainWords,
                       long heldOutWords) {}

  /**
   * The licences in {@link LicenseTexts#DIR} and, with {@code copyrightFiles}, every
   * {@code /usr/share/doc/<package>/copyright} (each real file once, packages in name order).
   * Files that are not valid UTF-8 are skipped and listed with the reason; a missing licence
   * directory is an error saying what to pass instead.
   */
  public static Sources debianTexts(boolean copyrightFiles) throws IOException {
    if (!Files.isDirectory(LicenseTexts.DIR))
      throw new java.io.FileNotFoundException(LicenseTexts.DIR + " not found: it is installed by Debian's base-files package; elsewhere pass your own "
          + "documents to MaskedLmData.prepare");
    List<Document> docs = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    long[] bytes = {0};
    int licences = addFiles(sorted(LicenseTexts.DIR, null), docs, skipped, bytes);
    int copyrights = copyrightFiles && Files.isDirectory(DOC_DIR) ? addFiles(sorted(DOC_DIR, "copyright"), docs, skipped, bytes) : 0;
    return new Sources(List.copyOf(docs), licences, copyrights, bytes[0], List.copyOf(skipped));
  }

  /** Regular files of dir (or dir/&lt;entry&gt;/child when child is not null), each real path once, in name order. */
  private static List<Path> sorted(Path dir, String child) throws IOException {
    TreeMap<String, Path> byName = new TreeMap<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        Path f = child == null ? p : p.resolve(child);
        if (Files.isRegularFile(f)) byName.put(p.getFileName().toString(), f);
      }
    }
    Set<Path> real = new LinkedHashSet<>();
    List<Path> out = new ArrayList<>();
    for (Path f : byName.values()) if (real.add(f.toRealPath())) out.add(f);
    return out;
  }

  private static int addFiles(List<Path> files, List<Document> docs, List<String> skipped, long[] bytes) {
    int n = 0;
    for (Path f : files) {
      try {
        String text = TextFiles.read(f);
        docs.add(new Document(f.toString(), text));
        bytes[0] += Files.size(f);
        n++;
      } catch (IOException e) {
        skipped.add(e.getMessage());
      }
    }
    return n;
  }

  /**
   * The paragraphs of a text: runs of lines between blank lines or lines holding only '.', white
   * space collapsed to single spaces; paragraphs without a word are dropped.
   */
  public static List<String> paragraphs(String text) {
    TextFiles.requireText(text, "MaskedLmData.paragraphs");
    List<String> out = new ArrayList<>();
    StringBuilder p = new StringBuilder();
    for (String line : text.split("\r?\n", -1)) {
      String s = line.strip();
      if (s.isEmpty() || s.equals(".")) {
        flush(p, out);
        continue;
      }
      if (p.length() > 0) p.append(' ');
      p.append(s.replaceAll("\\s+", " "));
    }
    flush(p, out);
    return out;
  }

  private static void flush(StringBuilder p, List<String> out) {
    if (p.length() > 0 && !Tokenizer.words(p.toString()).isEmpty()) out.add(p.toString());
    p.setLength(0);
  }

  /** {@code round(0.15 seqLen)}, at least 1: the masked positions per sequence of {@code seqLen} (10 for 64). */
  public static int maskedPositions(int seqLen) {
    if (seqLen < 2) throw new IllegalArgumentException("MaskedLmData: sequence length must be >= 2 ([CLS] and a word), got " + seqLen);
    return (int) Math.max(1, Math.round(MASK_FRACTION * seqLen));
  }

  /**
   * Paragraphs, repeats removed, split into training and held-out parts, the tokenizer fitted on
   * the training part ({@code maxWords} words), both parts cut into windows of {@code seqLen}
   * ([CLS] + seqLen - 1 words); see the class comment. Throws if a part holds no whole window.
   */
  public static Corpus prepare(List<Document> documents, int maxWords, int seqLen, double heldOutFraction, long seed) {
    Objects.requireNonNull(documents, "documents");
    maskedPositions(seqLen);
    if (!(heldOutFraction > 0 && heldOutFraction < 1))
      throw new IllegalArgumentException("MaskedLmData.prepare: held-out fraction must be in (0, 1), got " + heldOutFraction);
    int total = 0;
    Set<String> seen = new java.util.HashSet<>();
    List<String> train = new ArrayList<>(), heldOut = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(seed);
    for (Document d : documents) {
      for (String p : paragraphs(d.text())) {
        total++;
        if (!seen.add(String.join(" ", Tokenizer.words(p)))) continue;
        (rng.nextDouble() < heldOutFraction ? heldOut : train).add(p);
      }
    }
    if (train.isEmpty() || heldOut.isEmpty())
      throw new IllegalArgumentException("MaskedLmData.prepare: the " + documents.size() + " documents' " + seen.size() + " unique paragraphs leave the "
          + (train.isEmpty() ? "training" : "held-out") + " part empty; pass more text or another held-out fraction");
    Vocabulary v = new Vocabulary(Tokenizer.fit(train, maxWords));
    int[] trainIds = stream(train, v.tokenizer()), heldIds = stream(heldOut, v.tokenizer());
    Windows tw = windows(trainIds, seqLen, v.cls()), hw = windows(heldIds, seqLen, v.cls());
    for (Windows w : List.of(tw, hw))
      if (w.count() == 0)
        throw new IllegalArgumentException("MaskedLmData.prepare: the " + (w == tw ? "training" : "held-out") + " part (" + (w == tw ? trainIds : heldIds).length
            + " words) holds no window of " + (seqLen - 1) + " words; pass more text or a shorter sequence length");
    return new Corpus(v, tw, hw, documents.size(), total, seen.size(), trainIds.length, heldIds.length);
  }

  private static int[] stream(List<String> paragraphs, Tokenizer tok) {
    int n = 0;
    List<int[]> parts = new ArrayList<>(paragraphs.size());
    for (String p : paragraphs) {
      int[] ids = tok.encode(p);
      parts.add(ids);
      n += ids.length;
    }
    int[] out = new int[n];
    int at = 0;
    for (int[] ids : parts) {
      System.arraycopy(ids, 0, out, at, ids.length);
      at += ids.length;
    }
    return out;
  }

  /** Windows of {@code seqLen}: [CLS] then the next {@code seqLen - 1} ids of the stream; the last, partial window is dropped. */
  public static Windows windows(int[] stream, int seqLen, int cls) {
    Objects.requireNonNull(stream, "stream");
    maskedPositions(seqLen);
    int per = seqLen - 1, n = stream.length / per;
    int[] ids = new int[n * seqLen];
    for (int i = 0; i < n; i++) {
      ids[i * seqLen] = cls;
      System.arraycopy(stream, i * per, ids, i * seqLen + 1, per);
    }
    return new Windows(ids, n, seqLen);
  }

  /**
   * The masking recipe of the class comment applied to every window, {@code k} positions each:
   * inputs ids (n, T), key mask (n, T), positions (n, k); targets (n, k) the original ids. A
   * window with fewer than {@code k} real tokens is an error naming it.
   */
  public static Dataset mask(Windows w, Vocabulary v, int k, SplittableRandom rng) {
    Objects.requireNonNull(w, "windows");
    if (k < 1 || k >= w.length()) throw new IllegalArgumentException("MaskedLmData.mask: k must be in [1, " + w.length() + "), got " + k);
    if (w.count() == 0) throw new IllegalArgumentException("MaskedLmData.mask: no windows");
    int n = w.count(), t = w.length();
    Dataset d = new Dataset(List.of(Tensor.zeros(n, t), Tensor.zeros(n, t), Tensor.zeros(n, k)), Tensor.zeros(n, k));
    remask(d, w, v, rng);
    return d;
  }

  /**
   * Masks the windows again into a data set made by {@link #mask} of the same windows (new
   * positions and replacements from rng, in place, nothing allocated beyond two small arrays):
   * called between epochs (a fit callback; fit must not prefetch), it gives every epoch new
   * masked positions (dynamic masking).
   */
  public static void remask(Dataset d, Windows w, Vocabulary v, SplittableRandom rng) {
    Objects.requireNonNull(d, "data set");
    Objects.requireNonNull(w, "windows");
    Objects.requireNonNull(v, "vocabulary");
    Objects.requireNonNull(rng, "rng");
    int n = w.count(), t = w.length(), k = d.targets().dim(1), words = v.tokenizer().size() - 2;
    if (d.numInputs() != 3 || d.size() != n || d.input(0).dim(1) != t || d.input(2).dim(1) != k)
      throw new IllegalArgumentException("MaskedLmData.remask: the data set (" + d.size() + " samples, " + d.numInputs() + " inputs) was not made by mask() of "
          + n + " windows of " + t);
    float[] ids = d.input(0).data(), keep = d.input(1).data(), pos = d.input(2).data(), tgt = d.targets().data();
    int io = d.input(0).offset(), ko = d.input(1).offset(), po = d.input(2).offset(), to = d.targets().offset();
    int[] eligible = new int[t], chosen = new int[k];
    for (int i = 0; i < n; i++) {
      int base = i * t, m = 0;
      for (int j = 0; j < t; j++) {
        int id = w.ids()[base + j];
        if (id < 0 || id >= v.size())
          throw new IllegalArgumentException("MaskedLmData.mask: window " + i + " position " + j + " holds id " + id + ", outside [0, " + v.size() + ")");
        ids[io + base + j] = id;
        keep[ko + base + j] = id == Tokenizer.PAD ? 0 : 1;
        if (id != Tokenizer.PAD && id != v.cls() && id != v.mask()) eligible[m++] = j;
      }
      if (m < k) throw new IllegalArgumentException("MaskedLmData.mask: window " + i + " has " + m + " real tokens, fewer than the " + k + " to mask");
      for (int c = 0; c < k; c++) {   // partial Fisher-Yates: k distinct positions, uniform
        int r = c + rng.nextInt(m - c);
        int s = eligible[c];
        eligible[c] = eligible[r];
        eligible[r] = s;
        chosen[c] = eligible[c];
      }
      Arrays.sort(chosen);
      for (int c = 0; c < k; c++) {
        int p = chosen[c];
        pos[po + i * k + c] = p;
        tgt[to + i * k + c] = ids[io + base + p];
        double u = rng.nextDouble();
        if (u < TO_MASK) ids[io + base + p] = v.mask();
        else if (u < TO_MASK + TO_RANDOM && words > 0) ids[io + base + p] = 2 + rng.nextInt(words);
      }
    }
  }

  /**
   * Labelled sentences for fine-tuning: inputs ids (n, length) ([CLS], the first length - 1 word
   * ids, padding) and key mask (n, length); targets (n, 1) the labels.
   */
  public static Dataset encodeWithCls(List<LabelledText.Example> examples, Vocabulary v, int length) {
    Objects.requireNonNull(examples, "examples");
    Objects.requireNonNull(v, "vocabulary");
    int n = examples.size();
    if (n == 0) throw new IllegalArgumentException("MaskedLmData.encodeWithCls: no examples");
    float[] ids = new float[n * length], keep = new float[n * length], y = new float[n];
    for (int i = 0; i < n; i++) {
      int[] e = v.encodeWithCls(examples.get(i).text(), length);
      for (int j = 0; j < length; j++) {
        ids[i * length + j] = e[j];
        keep[i * length + j] = e[j] == Tokenizer.PAD ? 0 : 1;
      }
      y[i] = examples.get(i).label();
    }
    return new Dataset(List.of(Tensor.of(ids, n, length), Tensor.of(keep, n, length)), Tensor.of(y, n, 1));
  }
}
