using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MadBase.Edge.Tests.Architecture;

/// <summary>
/// Which namespace of an assembly uses which, read from its metadata: base types, interfaces, field and method
/// signatures, attributes' constructors and every type, method and field token in the method bodies' IL. A nested
/// type (including the compiler's closures and state machines) counts for its outermost declaring type, so a lambda's
/// use is its method's use. Only types defined in the assembly itself are edges; the rest of the world is not.
/// </summary>
internal sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value, code => code.OperandType);

    private readonly MetadataReader _reader;
    private readonly PEReader _pe;
    private readonly Dictionary<TypeDefinitionHandle, string> _namespaceOf = [];

    /// <summary>Namespace → the namespaces it uses, each with the type pairs that make the edge (for messages).</summary>
    public Dictionary<string, Dictionary<string, SortedSet<string>>> Edges { get; } = [];

    private NamespaceGraph(PEReader pe)
    {
        _pe = pe;
        _reader = pe.GetMetadataReader();
    }

    public static NamespaceGraph Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var graph = new NamespaceGraph(pe);
        graph.Build();
        return graph;
    }

    private void Build()
    {
        foreach (var handle in _reader.TypeDefinitions)
        {
            var owner = Outermost(handle);
            var ns = _reader.GetString(_reader.GetTypeDefinition(owner).Namespace);
            if (ns.Length > 0)
            {
                _namespaceOf[handle] = ns;
            }
        }

        var signatures = new TypeCollector();
        foreach (var handle in _reader.TypeDefinitions)
        {
            if (!_namespaceOf.TryGetValue(handle, out var from))
            {
                continue;
            }

            var user = Name(Outermost(handle));
            var type = _reader.GetTypeDefinition(handle);
            void Use(EntityHandle used) => AddUse(from, user, used, signatures);

            if (!type.BaseType.IsNil)
            {
                Use(type.BaseType);
            }

            foreach (var implementation in type.GetInterfaceImplementations())
            {
                Use(_reader.GetInterfaceImplementation(implementation).Interface);
            }

            foreach (var fieldHandle in type.GetFields())
            {
                var field = _reader.GetFieldDefinition(fieldHandle);
                foreach (var used in signatures.Decode(() => field.DecodeSignature(signatures, null)))
                {
                    AddEdge(from, user, used);
                }
            }
            foreach (var methodHandle in type.GetMethods())
            {
                var method = _reader.GetMethodDefinition(methodHandle);
                foreach (var used in signatures.Decode(() => method.DecodeSignature(signatures, null)))
                {
                    AddEdge(from, user, used);
                }

                foreach (var attribute in method.GetCustomAttributes())
                {
                    Use(_reader.GetCustomAttribute(attribute).Constructor);
                }

                if (method.RelativeVirtualAddress == 0)
                {
                    continue;
                }

                var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    var locals = _reader.GetStandaloneSignature(body.LocalSignature);
                    foreach (var used in signatures.Decode(() => locals.DecodeLocalSignature(signatures, null)))
                    {
                        AddEdge(from, user, used);
                    }
                }
                foreach (var token in BodyTokens(body))
                {
                    Use(token);
                }
            }
        }
    }

    private void AddUse(string from, string user, EntityHandle used, TypeCollector signatures)
    {
        switch (used.Kind)
        {
            case HandleKind.TypeDefinition:
                AddEdge(from, user, (TypeDefinitionHandle)used);
                break;
            case HandleKind.TypeSpecification:
                var spec = _reader.GetTypeSpecification((TypeSpecificationHandle)used);
                foreach (var type in signatures.Decode(() => spec.DecodeSignature(signatures, null)))
                {
                    AddEdge(from, user, type);
                }

                break;
            case HandleKind.MethodDefinition:
                AddEdge(from, user, _reader.GetMethodDefinition((MethodDefinitionHandle)used).GetDeclaringType());
                break;
            case HandleKind.FieldDefinition:
                AddEdge(from, user, _reader.GetFieldDefinition((FieldDefinitionHandle)used).GetDeclaringType());
                break;
            case HandleKind.MemberReference:
                var member = _reader.GetMemberReference((MemberReferenceHandle)used);
                AddUse(from, user, member.Parent, signatures);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    foreach (var type in signatures.Decode(() => member.DecodeMethodSignature(signatures, null)))
                    {
                        AddEdge(from, user, type);
                    }
                }

                break;
            case HandleKind.MethodSpecification:
                var methodSpec = _reader.GetMethodSpecification((MethodSpecificationHandle)used);
                AddUse(from, user, methodSpec.Method, signatures);
                foreach (var type in signatures.Decode(() => methodSpec.DecodeSignature(signatures, null)))
                {
                    AddEdge(from, user, type);
                }

                break;
        }
    }

    private void AddEdge(string from, string user, TypeDefinitionHandle used)
    {
        if (!_namespaceOf.TryGetValue(used, out var to) || to == from)
        {
            return;
        }

        if (!Edges.TryGetValue(from, out var targets))
        {
            Edges[from] = targets = [];
        }

        if (!targets.TryGetValue(to, out var reasons))
        {
            targets[to] = reasons = [];
        }

        reasons.Add($"{user} → {Name(Outermost(used))}");
    }

    private IEnumerable<EntityHandle> BodyTokens(MethodBodyBlock body)
    {
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }

            switch (OperandTypes[value])
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    yield return MetadataTokens.EntityHandle(il.ReadInt32());
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32(); // read before Offset: `Offset += 4 * Read()` would add to the old offset
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString
                    or OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
            }
        }
    }

    private TypeDefinitionHandle Outermost(TypeDefinitionHandle handle)
    {
        while (_reader.GetTypeDefinition(handle).GetDeclaringType() is { IsNil: false } outer)
        {
            handle = outer;
        }

        return handle;
    }

    private string Name(TypeDefinitionHandle handle) => _reader.GetString(_reader.GetTypeDefinition(handle).Name);

    /// <summary>Collects the assembly's own types named in a signature blob.</summary>
    private sealed class TypeCollector : ISignatureTypeProvider<int, object?>
    {
        private List<TypeDefinitionHandle> _found = [];

        public List<TypeDefinitionHandle> Decode(Action decode)
        {
            _found = [];
            decode();
            return _found;
        }

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            _found.Add(handle);
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? context, int index) => 0;
        public int GetGenericTypeParameter(object? context, int index) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
    }
}
