using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Monitoring.Collectors.Mqtt.Tests.Peers;

/// <summary>A self-signed server certificate for 127.0.0.1/localhost, made with CertificateRequest, written as PEM for mosquitto.</summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(X509Certificate2 certificate, string certFile, string keyFile)
    {
        Certificate = certificate;
        CertFile = certFile;
        KeyFile = keyFile;
    }

    public X509Certificate2 Certificate { get; }
    public string CertFile { get; }
    public string KeyFile { get; }

    public static TestCertificates Create(string directory)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(directory, "server.crt");
        var keyFile = Path.Combine(directory, "server.key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return new TestCertificates(certificate, certFile, keyFile);
    }

    public void Dispose() => Certificate.Dispose();
}
