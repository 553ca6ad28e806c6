using Amazon.Runtime;
using Amazon.S3;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>A client of the test S3 server, for tests that look behind the edge at what it stored.</summary>
internal static class TestS3
{
    public static AmazonS3Client Client() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = TestEnvironment.S3Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        UseHttp = true,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });
}
