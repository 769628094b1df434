using System.Reflection;
using System.Reflection.Emit;

namespace Gateway.Tests.Architecture;

/// <summary>
/// The types a type refers to: in its signatures (base type, interfaces, fields, properties, parameters, return
/// types, attributes) and in its method bodies' IL (every method, field and type token), including the nested types
/// the compiler writes for lambdas, iterators and async methods. A <c>using</c> that nothing uses leaves no trace,
/// which is right: only a reference the compiled code makes is a dependency.
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
        BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    public static IEnumerable<Type> Of(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            if (t.IsConstructedGenericType)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var argument in t.GetGenericArguments()) Add(argument);
                return;
            }
            found.Add(t);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var a in type.GetCustomAttributesData()) Add(a.AttributeType);
        foreach (var f in type.GetFields(Declared)) Add(f.FieldType);
        foreach (var p in type.GetProperties(Declared)) Add(p.PropertyType);
        var methods = type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared));
        foreach (var m in methods)
        {
            if (m is MethodInfo info) Add(info.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var a in m.GetCustomAttributesData()) Add(a.AttributeType);
            foreach (var referenced in InBody(m)) Add(referenced);
        }
        return found;
    }

    /// <summary>The types behind every token an IL body names (calls, field accesses, casts, <c>typeof</c>).</summary>
    public static IEnumerable<Type> InBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            short value = il[position++];
            if (value == 0xFE) value = (short)(0xFE00 | il[position++]);
            var code = OpCodesByValue[value];
            var operand = position;
            position += OperandSize(code.OperandType, il, position);
            if (code.OperandType is not (OperandType.InlineMethod or OperandType.InlineField or
                OperandType.InlineType or OperandType.InlineTok)) continue;
            var token = BitConverter.ToInt32(il, operand);
            var member = method.Module.ResolveMember(token, typeArguments, methodArguments);
            switch (member)
            {
                case Type t: yield return t; break;
                case FieldInfo f:
                    yield return f.DeclaringType!;
                    yield return f.FieldType;
                    break;
                case MethodBase m:
                    yield return m.DeclaringType!;
                    if (m is MethodInfo { IsGenericMethod: true } generic)
                        foreach (var argument in generic.GetGenericArguments()) yield return argument;
                    break;
            }
        }
    }

    private static int OperandSize(OperandType operand, byte[] il, int at) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
