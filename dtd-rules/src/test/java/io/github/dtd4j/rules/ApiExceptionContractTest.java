package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Coverage;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LayerPropagation;
import io.github.dtd4j.Ledger;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Preset;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.spi.NodeInfo;
import io.github.dtd4j.spi.Rule;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * No {@code IllegalStateException}, {@code IllegalArgumentException}, {@code NullPointerException} or any other
 * exception that is not ours reaches a user of the public API. By reflection, every public static factory, public
 * constructor and public instance method of the user-facing classes is called with valid arguments except one, which
 * is null or out of range (empty arrays, NaN, infinities, negative ε, unknown node names, wrong shapes...); whatever
 * is thrown must be a {@link Dtd4jException}. The valid arguments of each call are the first combination of candidate
 * values for which the call succeeds, so that the bad argument is what the call trips over.
 *
 * <p>Not called: the rule SPI callbacks ({@code accepts}, {@code check}, {@code checkInput}, {@code propagate},
 * {@code usesOutput}), which the engine calls with arguments it made, and the methods every object has.
 */
class ApiExceptionContractTest {

    /** A value to pass, described for the report; the supplier makes a fresh one for every call. */
    record Val(String desc, Supplier<Object> value) {
        static Val of(String desc, Supplier<Object> value) {
            return new Val(desc, value);
        }

        @Override
        public String toString() {
            return desc;
        }
    }

    /** input [4] → d1 (4→5) → relu → d2 (5→3). */
    private static Graph graph() {
        SplittableRandom rnd = new SplittableRandom(51);
        return Graph.sequential(4)
                .dense("d1", ApiTestSupport.gaussian(rnd, 0.5, 4, 5), ApiTestSupport.gaussian(rnd, 0.1, 5))
                .relu()
                .dense("d2", ApiTestSupport.gaussian(rnd, 0.5, 5, 3), null)
                .build();
    }

    private static final Graph G = graph();

    private static Explainer explainer() {
        return Explainer.of(G).precision(Precision.FLOAT64).rule(Rules.Z_PLUS).rule(Selector.first(),
                Rules.zBox(0, 1)).recordLayers(true);
    }

    private static INDArray x() {
        return ApiTestSupport.uniform(new SplittableRandom(52), 0, 1, 2, 4);
    }

    private static INDArray r() {
        return ApiTestSupport.uniform(new SplittableRandom(53), -1, 1, 2, 3);
    }

    private static INDArray filled(double v, long... shape) {
        return Nd4j.valueArrayOf(shape, v, DataType.DOUBLE);
    }

    private static Dense dense43() {
        return Dense.of(ApiTestSupport.gaussian(new SplittableRandom(54), 0.5, 4, 3), null);
    }

    private static List<Val> arraysGood() {
        return List.of(Val.of("x [2,4]", ApiExceptionContractTest::x), Val.of("r [2,3]", ApiExceptionContractTest::r));
    }

    private static List<Val> arraysBad() {
        return List.of(Val.of("null", () -> null),
                Val.of("NaN [2,4]", () -> filled(Double.NaN, 2, 4)),
                Val.of("NaN [2,3]", () -> filled(Double.NaN, 2, 3)),
                Val.of("Infinity [2,4]", () -> filled(Double.POSITIVE_INFINITY, 2, 4)),
                Val.of("int [2,4]", () -> Nd4j.ones(DataType.INT, 2, 4)),
                Val.of("int [2,3]", () -> Nd4j.ones(DataType.INT, 2, 3)),
                Val.of("float32 [2,4]", () -> x().castTo(DataType.FLOAT)),
                Val.of("float32 [2,3]", () -> r().castTo(DataType.FLOAT)),
                Val.of("empty", () -> Nd4j.empty(DataType.DOUBLE)),
                Val.of("[0,4]", () -> Nd4j.create(DataType.DOUBLE, 0, 4)),
                Val.of("scalar", () -> Nd4j.scalar(1.0)),
                Val.of("rank 1 [4]", () -> filled(0.5, 4)),
                Val.of("[2,5]", () -> filled(0.5, 2, 5)),
                Val.of("[3,3]", () -> filled(0.5, 3, 3)),
                Val.of("[2,4,1]", () -> filled(0.5, 2, 4, 1)));
    }

    private static Val v(Object o) {
        return Val.of(String.valueOf(o), () -> o);
    }

    private static List<Val> good(Type t) {
        Class<?> c = raw(t);
        if (c == Graph.class) {
            return List.of(v(G));
        } else if (c == INDArray.class) {
            return arraysGood();
        } else if (c == int.class) {
            return List.of(v(0), v(1));
        } else if (c == long.class) {
            return List.of(v(0L));
        } else if (c == double.class) {
            return List.of(v(1e-6), v(0.5), v(2.0));
        } else if (c == boolean.class) {
            return List.of(v(false), v(true));
        } else if (c == String.class) {
            return List.of(v("d1"), v("d2"), v("input"), v("name"));
        } else if (c == int[].class) {
            return List.of(Val.of("{0, 1}", () -> new int[]{0, 1}), Val.of("{2}", () -> new int[]{2}));
        } else if (c == double[].class) {
            return List.of(Val.of("{0.0}", () -> new double[]{0}), Val.of("{1.0}", () -> new double[]{1}),
                    Val.of("{0.5, 0.5}", () -> new double[]{0.5, 0.5}));
        } else if (c == String[].class) {
            return List.of(Val.of("{d1}", () -> new String[]{"d1"}));
        } else if (c == Class[].class) {
            return List.of(Val.of("{Dense}", () -> new Class<?>[]{Dense.class}));
        } else if (c == Predicate.class) {
            return List.of(Val.of("n -> true", () -> (Predicate<NodeInfo>) n -> true));
        } else if (c == Rule.class) {
            return List.of(v(Rules.LRP_0), v(Propagations.proportional()));
        } else if (c == ZBoxRule.class) {
            return List.of(v(Rules.zBox(0, 1)));
        } else if (c == Selector.class) {
            return List.of(v(Selector.all()), v(Selector.dense()));
        } else if (c == Preset.class) {
            return List.of(v(Presets.dtd(0, 1)));
        } else if (c == Preset.Assignment.class) {
            return List.of(v(Preset.Assignment.of(Selector.all(), Rules.LRP_0)));
        } else if (c == Preset.Assignment[].class) {
            return List.of(Val.of("{all -> lrp0}", () -> new Preset.Assignment[]{Preset.Assignment.of(Selector.all(),
                    Rules.LRP_0)}));
        } else if (c == Layer.class) {
            return List.of(Val.of("Dense 4->3", ApiExceptionContractTest::dense43), v(new Relu()));
        } else if (c == Start.class) {
            return List.of(v(Start.topClass()), v(Start.classes(0)));
        } else if (c == Pattern.class) {
            return List.of(v(Pattern.compile("d.")));
        } else if (c.isEnum()) {
            return Arrays.stream(c.getEnumConstants()).map(ApiExceptionContractTest::v).toList();
        } else if (c == List.class) {
            Class<?> e = raw(((ParameterizedType) t).getActualTypeArguments()[0]);
            if (e == INDArray.class) {
                return List.of(Val.of("List.of(x [2,4])", () -> List.of(x())), Val.of("List.of(r [2,3])",
                        () -> List.of(r())));
            } else if (e == Preset.Assignment.class) {
                return List.of(Val.of("List.of(all -> lrp0)", () -> List.of(Preset.Assignment.of(Selector.all(),
                        Rules.LRP_0))));
            }
            return List.of(Val.of("List.of()", List::of));
        } else if (c == Set.class) {
            Class<?> e = raw(((ParameterizedType) t).getActualTypeArguments()[0]);
            return List.of(e == String.class ? v(Set.of("d1")) : v(Set.of(Dense.class)));
        } else if (c == Map.class) {
            return List.of(Val.of("Map.of()", Map::of));
        } else if (c == java.nio.file.Path.class) {
            return List.of(Val.of("a new file in a temporary directory", () -> {
                try {
                    return java.nio.file.Files.createTempDirectory("dtd-contract").resolve("explainer.onnx");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        throw new AssertionError("no valid value for " + t + ": extend the test");
    }

    private static List<Val> bad(Type t) {
        Class<?> c = raw(t);
        List<Val> out = new ArrayList<>();
        if (!c.isPrimitive()) {
            out.add(Val.of("null", () -> null));
        }
        if (c == INDArray.class) {
            return arraysBad();
        } else if (c == java.nio.file.Path.class) {
            out.add(Val.of("a file in a missing directory", () -> java.nio.file.Path.of("/nonexistent-dtd4j-dir/x.onnx")));
        } else if (c == int.class) {
            out.addAll(List.of(v(-1), v(3), v(Integer.MAX_VALUE), v(Integer.MIN_VALUE)));
        } else if (c == long.class) {
            out.add(v(-1L));
        } else if (c == double.class) {
            out.addAll(List.of(v(Double.NaN), v(-1.0), v(-1e-300), v(Double.POSITIVE_INFINITY),
                    v(Double.NEGATIVE_INFINITY), v(Double.MAX_VALUE), v(0.0)));
        } else if (c == String.class) {
            out.addAll(List.of(v(""), v("no.such.node"), v("["), v(" ")));
        } else if (c == int[].class) {
            out.addAll(List.of(Val.of("{}", () -> new int[0]), Val.of("{-1}", () -> new int[]{-1}),
                    Val.of("{0, 1, 2}", () -> new int[]{0, 1, 2}), Val.of("{3, 3}", () -> new int[]{3, 3})));
        } else if (c == double[].class) {
            out.addAll(List.of(Val.of("{}", () -> new double[0]), Val.of("{NaN}", () -> new double[]{Double.NaN}),
                    Val.of("{-1.0}", () -> new double[]{-1}), Val.of("{Infinity}", () -> new double[]{
                            Double.POSITIVE_INFINITY}), Val.of("{0, 1, 2}", () -> new double[]{0, 1, 2})));
        } else if (c == String[].class) {
            out.addAll(List.of(Val.of("{}", () -> new String[0]), Val.of("{null}", () -> new String[]{null}),
                    Val.of("{no.such.node}", () -> new String[]{"no.such.node"})));
        } else if (c == Class[].class) {
            out.addAll(List.of(Val.of("{}", () -> new Class<?>[0]), Val.of("{null}", () -> new Class<?>[]{null}),
                    Val.of("{Layer}", () -> new Class<?>[]{Layer.class})));
        } else if (c == Predicate.class) {
            out.add(Val.of("a predicate that throws", () -> (Predicate<NodeInfo>) n -> {
                throw new IllegalStateException("predicate");
            }));
        } else if (c == Preset.Assignment[].class) {
            out.addAll(List.of(Val.of("{}", () -> new Preset.Assignment[0]), Val.of("{null}",
                    () -> new Preset.Assignment[]{null})));
        } else if (c == List.class || c == Set.class) {
            out.add(Val.of("empty", c == List.class ? List::of : Set::of));
            out.add(Val.of("[null]", c == List.class ? () -> Arrays.asList((Object) null)
                    : () -> new HashSet<>(Arrays.asList((Object) null))));
            if (c == List.class && raw(((ParameterizedType) t).getActualTypeArguments()[0]) == INDArray.class) {
                out.add(Val.of("List.of(x, x)", () -> List.of(x(), x())));
                out.add(Val.of("List.of(NaN [2,4])", () -> List.of(filled(Double.NaN, 2, 4))));
                out.add(Val.of("List.of([2,5])", () -> List.of(filled(0.5, 2, 5))));
            }
        } else if (c == Map.class) {
            out.add(Val.of("{k=null}", () -> {
                Map<String, double[]> m = new LinkedHashMap<>();
                m.put("k", null);
                return m;
            }));
        } else if (c == Layer.class) {
            out.add(Val.of("Dense 5->3", () -> Dense.of(filled(0.5, 5, 3), null)));
        }
        return out;
    }

    private static Class<?> raw(Type t) {
        if (t instanceof java.lang.reflect.GenericArrayType g) {
            return java.lang.reflect.Array.newInstance(raw(g.getGenericComponentType()), 0).getClass();
        }
        return t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
    }

    /** The classes under test, and how to make an instance of each (null for classes only used statically). */
    private static Map<Class<?>, Supplier<Object>> subjects() {
        Map<Class<?>, Supplier<Object>> m = new LinkedHashMap<>();
        m.put(Explainer.class, ApiExceptionContractTest::explainer);
        m.put(Selector.class, null);
        m.put(Selector.All.class, Selector::all);
        m.put(Selector.Kind.class, Selector::dense);
        m.put(Selector.First.class, Selector::first);
        m.put(Selector.Name.class, () -> Selector.name("d1"));
        m.put(Selector.NamePattern.class, () -> Selector.namePattern("d."));
        m.put(Selector.Range.class, () -> Selector.range("d1", "d2"));
        m.put(Selector.Where.class, () -> Selector.where("all", n -> true));
        m.put(Start.class, null);
        m.put(Start.TopClass.class, Start::topClass);
        m.put(Start.Classes.class, () -> Start.classes(0, 1));
        m.put(Start.Tensor.class, () -> Start.relevance(r()));
        m.put(Propagations.class, null);
        m.put(LayerPropagation.class, null);
        m.put(LayerPropagation.Result.class, () -> LayerPropagation.apply(dense43(), x(), r(), Rules.Z_PLUS));
        m.put(Rules.class, null);
        m.put(Presets.class, null);
        m.put(Preset.class, () -> Presets.dtd(0, 1));
        m.put(Preset.Assignment.class, () -> Preset.Assignment.of(Selector.all(), Rules.LRP_0));
        m.put(EpsilonRule.class, () -> Rules.epsilon(0.1));
        m.put(AlphaBetaRule.class, () -> Rules.alphaBeta(2, 1));
        m.put(GammaRule.class, () -> Rules.gamma(0.25));
        m.put(ZBoxRule.class, () -> Rules.zBox(0, 1));
        m.put(Explanation.class, () -> explainer().explain(x()));
        m.put(Ledger.class, () -> explainer().explain(x()).ledger());
        m.put(LedgerEntry.class, () -> explainer().explain(x()).ledger().entries().get(0));
        m.put(Coverage.class, () -> explainer().coverage());
        return m;
    }

    private static final Set<String> SPI_CALLBACKS = Set.of("accepts", "check", "checkInput", "propagate",
            "usesOutput");

    private static List<Executable> executables(Class<?> c, boolean hasInstance) {
        List<Executable> out = new ArrayList<>();
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (Modifier.isPublic(k.getModifiers())) {
                out.add(k);
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            boolean isStatic = Modifier.isStatic(m.getModifiers());
            if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic() || m.isBridge()
                    || SPI_CALLBACKS.contains(m.getName()) || (!isStatic && !hasInstance)
                    // a rule's compile(SymbolicRuleContext) is an SPI callback too: the compiler calls it
                    || (m.getParameterCount() == 1
                    && m.getParameterTypes()[0] == io.github.dtd4j.spi.SymbolicRuleContext.class)
                    || Set.of("equals", "hashCode", "toString").contains(m.getName())) {
                continue;
            }
            out.add(m);
        }
        out.sort((a, b) -> a.toString().compareTo(b.toString()));
        return out;
    }

    /** {@return what the call threw, or null} */
    private static Throwable call(Executable e, Supplier<Object> instance, Object[] args) {
        try {
            if (e instanceof Constructor<?> k) {
                k.newInstance(args);
            } else {
                Method m = (Method) e;
                m.invoke(Modifier.isStatic(m.getModifiers()) ? null : instance.get(), args);
            }
            return null;
        } catch (InvocationTargetException ex) {
            return ex.getCause();
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError("cannot call " + e + ": " + ex, ex);
        }
    }

    /** {@return the first combination of valid values with which the call succeeds (else the first combination)} */
    private static Val[] validArguments(Executable e, Supplier<Object> instance, List<List<Val>> candidates) {
        int n = candidates.size();
        int[] idx = new int[n];
        Val[] first = null;
        for (int tries = 0; tries < 256; tries++) {
            Val[] vals = new Val[n];
            for (int i = 0; i < n; i++) {
                vals[i] = candidates.get(i).get(idx[i]);
            }
            if (first == null) {
                first = vals;
            }
            if (call(e, instance, values(vals)) == null) {
                return vals;
            }
            int k = 0;
            while (k < n && ++idx[k] == candidates.get(k).size()) {
                idx[k++] = 0;
            }
            if (k == n) {
                break;
            }
        }
        return first;
    }

    private static Object[] values(Val[] vals) {
        Object[] out = new Object[vals.length];
        for (int i = 0; i < vals.length; i++) {
            out[i] = vals[i].value().get();
        }
        return out;
    }

    private static String signature(Class<?> c, Executable e) {
        StringBuilder sb = new StringBuilder(c.getName().replaceFirst("^.*\\.", "")).append('.')
                .append(e instanceof Constructor<?> ? "<init>" : e.getName()).append('(');
        Class<?>[] p = e.getParameterTypes();
        for (int i = 0; i < p.length; i++) {
            sb.append(i > 0 ? ", " : "").append(p[i].getSimpleName());
        }
        return sb.append(')').toString();
    }

    @Test
    void everythingThrownByThePublicApiIsOurs() {
        Set<String> escapes = new TreeSet<>();
        int calls = 0;
        int methods = 0;
        for (Map.Entry<Class<?>, Supplier<Object>> s : subjects().entrySet()) {
            Class<?> c = s.getKey();
            for (Executable e : executables(c, s.getValue() != null)) {
                methods++;
                Type[] types = e.getGenericParameterTypes();
                List<List<Val>> candidates = new ArrayList<>();
                for (Type t : types) {
                    candidates.add(good(t));
                }
                Val[] valid = validArguments(e, s.getValue(), candidates);
                Throwable t0 = call(e, s.getValue(), values(valid));
                calls++;
                if (t0 != null && !(t0 instanceof Dtd4jException)) {
                    escapes.add(signature(c, e) + " with " + Arrays.toString(valid) + ": " + t0);
                }
                for (int i = 0; i < types.length; i++) {
                    for (Val b : bad(types[i])) {
                        Val[] args = valid.clone();
                        args[i] = b;
                        Throwable t = call(e, s.getValue(), values(args));
                        calls++;
                        if (t != null && !(t instanceof Dtd4jException)) {
                            escapes.add(signature(c, e) + " with " + Arrays.toString(args) + ": "
                                    + t.getClass().getName() + (t.getMessage() == null ? "" : ": "
                                    + t.getMessage().lines().findFirst().orElse("")));
                        }
                    }
                }
            }
        }
        assertThat(methods).as("methods and constructors called").isGreaterThan(100);
        assertThat(calls).as("calls").isGreaterThan(500);
        assertThat(escapes).as("exceptions that are not Dtd4jExceptions, in %d calls", calls).isEmpty();
    }
}
