namespace MadBase.Edge.Configuration;

/// <summary>Invalid configuration: the process prints <see cref="Exception.Message"/> as one line and exits 2.</summary>
internal sealed class ConfigurationException(string variable, string problem)
    : Exception($"invalid configuration: {variable}: {problem}")
{
    public string Variable { get; } = variable;
}
