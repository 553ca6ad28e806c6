using System.Net;
using MadBase.Edge.Objects.S3;

namespace MadBase.Edge.Tests.Objects.S3;

/// <summary>The span XML reader on S3's answers (shapes from the S3 API reference) and the hand-written request bodies.</summary>
[Trait("Kind", "InProcess")]
public sealed class S3XmlTests
{
    [Fact]
    public void Initiate_WithPrologAndNamespace_ReadsUploadId()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Bucket>example-bucket</Bucket><Key>example-object</Key>
              <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
            </InitiateMultipartUploadResult>
            """;

        Assert.Equal("InitiateMultipartUploadResult", S3Xml.RootName(xml));
        Assert.Equal("VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", S3Xml.FirstText(xml, "UploadId"));
    }

    [Fact]
    public void Complete_Result_ReturnsDecodedETag()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>
              <Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>
              <ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>
            </CompleteMultipartUploadResult>
            """;

        Assert.Equal("\"3858f62230ac3c915f300c664312c11f-9\"", S3Client.ParseComplete(HttpStatusCode.OK, xml, null));
    }

    [Fact]
    public void Complete_ErrorInsideA200_IsAnS3Exception()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>

            <Error>
              <Code>InternalError</Code>
              <Message>We encountered an internal error. Please try again.</Message>
              <RequestId>656c76696e6727732072657175657374</RequestId>
              <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
            </Error>
            """;

        var ex = Assert.Throws<S3Exception>(() => S3Client.ParseComplete(HttpStatusCode.OK, xml, "r1"));

        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        Assert.Equal("InternalError", ex.ErrorCode);
        Assert.Contains("We encountered an internal error. Please try again.", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsNotFound);
    }

    [Fact]
    public void Complete_NoSuchUploadInsideA200_IsNotFound()
    {
        var ex = Assert.Throws<S3Exception>(() => S3Client.ParseComplete(
            HttpStatusCode.OK, "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>", null));

        Assert.True(ex.IsNotFound);
    }

    [Fact]
    public void Complete_UnrecognisedAnswer_IsAnS3ExceptionNotAnEmptyETag() =>
        Assert.Throws<S3Exception>(() => S3Client.ParseComplete(HttpStatusCode.OK, "<html>proxy error</html>", null));

    [Fact]
    public void DeleteResult_ListsEveryErrorWithItsKeyCodeAndMessage()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Deleted><Key>sample1.txt</Key></Deleted>
              <Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
              <!-- a comment <Error> is not an element -->
              <Error><Key>a&amp;b &lt;c&gt;</Key><Code>InternalError</Code><Message>x</Message></Error>
            </DeleteResult>
            """;

        var errors = S3Xml.Elements(xml, "Error").Select(e => (S3Xml.FirstText(xml.AsSpan(e), "Key"), S3Xml.FirstText(xml.AsSpan(e), "Code"))).ToList();

        Assert.Equal([("sample2.txt", "AccessDenied"), ("a&b <c>", "InternalError")], errors);
    }

    [Fact]
    public void Error_PrefixedNamesEntitiesAndCdata_AreRead()
    {
        const string xml = "<s3:Error xmlns:s3=\"x\" a='1>2'><s3:Code>NoSuchKey</s3:Code><Message>key &#x41;&#66; <![CDATA[<raw> & ]]>gone</Message></s3:Error>";

        Assert.Equal("Error", S3Xml.RootName(xml));
        Assert.Equal("NoSuchKey", S3Xml.FirstText(xml, "Code"));
        Assert.Equal("key AB <raw> & gone", S3Xml.FirstText(xml, "Message"));
    }

    [Fact]
    public void Truncated_ElementWithoutEnd_IsAbsent()
    {
        Assert.Null(S3Xml.FirstText("<InitiateMultipartUploadResult><UploadId>abc", "UploadId"));
        Assert.Null(S3Xml.RootName(""));
        Assert.Null(S3Xml.FirstText("no markup at all", "Code"));
    }

    [Fact]
    public void Nested_SameName_MatchesItsOwnEnd()
    {
        const string xml = "<a><b><b>inner</b>tail</b><c>after</c></a>";

        Assert.Equal("innertail", S3Xml.FirstText(xml, "b"));
        Assert.Equal("after", S3Xml.FirstText(xml, "c"));
    }

    [Fact]
    public void DeleteObjectsBody_EscapedKeys_ReadBackUnchanged()
    {
        string[] keys = ["plain/key", "a&b<c>d\"e'f", "line\nbreak\ttab", "ünï/😀"];

        var xml = System.Text.Encoding.UTF8.GetString(S3XmlWriter.DeleteObjects(keys));

        Assert.StartsWith("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", xml, StringComparison.Ordinal);
        Assert.Equal(keys, S3Xml.Elements(xml, "Key").Select(r => S3Xml.Text(xml.AsSpan(r))));
    }

    [Fact]
    public void CompleteBody_PartsInOrderWithQuotedETags()
    {
        var xml = System.Text.Encoding.UTF8.GetString(S3XmlWriter.CompleteMultipartUpload([(1, "\"aa\""), (2, "\"bb\"")]));

        Assert.Equal(
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag></Part>"
            + "<Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag></Part></CompleteMultipartUpload>",
            xml);
        Assert.Equal(["\"aa\"", "\"bb\""], S3Xml.Elements(xml, "ETag").Select(r => S3Xml.Text(xml.AsSpan(r))));
    }
}
