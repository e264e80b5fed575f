namespace Monitoring.Core.LineProtocol;

/// <summary>Which part of a line a piece of text comes from: each part has its own escaping rules.</summary>
public enum LineProtocolElement
{
    /// <summary>Commas and spaces are escaped.</summary>
    Measurement,

    /// <summary>Tag keys, tag values and field keys: commas, equals signs and spaces are escaped.</summary>
    Name,

    /// <summary>The text between the double quotes of a string field value: double quotes and backslashes are escaped.</summary>
    StringValue,
}
