namespace InfraGuard.Core.Facts;

/// <summary>
/// Resource types that hold data: deleting or replacing one loses that data. Built in for common AWS, Azure, GCP
/// and Kubernetes types under both Pulumi and Terraform names; a pack adds more with <c>stateful-types:</c>.
/// </summary>
public sealed class StatefulCatalogue
{
    /// <summary>The built-in type patterns.</summary>
    public static IReadOnlyList<string> BuiltInPatterns { get; } =
    [
        // AWS, Pulumi names
        "aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance",
        "aws:rds/globalCluster:GlobalCluster", "aws:rds/snapshot:Snapshot", "aws:rds/clusterSnapshot:ClusterSnapshot",
        "aws:dynamodb/table:Table", "aws:dynamodb/globalTable:GlobalTable",
        "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
        "aws:efs/fileSystem:FileSystem", "aws:fsx/*FileSystem:*", "aws:ebs/volume:Volume", "aws:ebs/snapshot:Snapshot",
        "aws:elasticache/cluster:Cluster", "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/serverlessCache:ServerlessCache", "aws:memorydb/cluster:Cluster",
        "aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain",
        "aws:redshift/cluster:Cluster", "aws:redshiftserverless/namespace:Namespace",
        "aws:docdb/cluster:Cluster", "aws:neptune/cluster:Cluster", "aws:qldb/ledger:Ledger",
        "aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:secretsmanager/secret:Secret",
        "aws:kinesis/stream:Stream", "aws:sqs/queue:Queue", "aws:msk/cluster:Cluster",
        "aws:backup/vault:Vault", "aws:ecr/repository:Repository", "aws:cloudwatch/logGroup:LogGroup",
        "aws:timestreamwrite/table:Table", "aws:keyspaces/table:Table",

        // AWS, Terraform names
        "aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_rds_global_cluster",
        "aws_db_snapshot", "aws_db_cluster_snapshot",
        "aws_dynamodb_table", "aws_dynamodb_global_table", "aws_s3_bucket",
        "aws_efs_file_system", "aws_fsx_*_file_system", "aws_ebs_volume", "aws_ebs_snapshot",
        "aws_elasticache_cluster", "aws_elasticache_replication_group", "aws_elasticache_serverless_cache",
        "aws_memorydb_cluster", "aws_opensearch_domain", "aws_elasticsearch_domain",
        "aws_redshift_cluster", "aws_redshiftserverless_namespace", "aws_docdb_cluster", "aws_neptune_cluster",
        "aws_qldb_ledger", "aws_kms_key", "aws_kms_replica_key", "aws_secretsmanager_secret",
        "aws_kinesis_stream", "aws_sqs_queue", "aws_msk_cluster", "aws_backup_vault", "aws_ecr_repository",
        "aws_cloudwatch_log_group", "aws_timestreamwrite_table", "aws_keyspaces_table",

        // Azure, Pulumi (azure-native and classic) names
        "azure-native:sql:Server", "azure-native:sql:Database", "azure-native:sql:ManagedInstance",
        "azure-native:dbforpostgresql:*Server", "azure-native:dbformysql:*Server",
        "azure-native:documentdb:DatabaseAccount", "azure-native:documentdb:*Database*", "azure-native:documentdb:*Container",
        "azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer", "azure-native:storage:FileShare",
        "azure-native:keyvault:Vault", "azure-native:keyvault:Key", "azure-native:keyvault:Secret",
        "azure-native:cache:Redis*", "azure-native:compute:Disk", "azure-native:compute:Snapshot",
        "azure-native:kusto:Cluster", "azure-native:kusto:*Database",
        "azure:sql/*:*", "azure:mssql/server:Server", "azure:mssql/database:Database",
        "azure:postgresql/*Server:*Server", "azure:mysql/*Server:*Server", "azure:cosmosdb/*:*",
        "azure:storage/account:Account", "azure:storage/container:Container", "azure:storage/share:Share",
        "azure:keyvault/keyVault:KeyVault", "azure:keyvault/key:Key", "azure:keyvault/secret:Secret",
        "azure:redis/cache:Cache", "azure:compute/managedDisk:ManagedDisk",

        // Azure, Terraform names
        "azurerm_sql_server", "azurerm_sql_database", "azurerm_mssql_server", "azurerm_mssql_database",
        "azurerm_mssql_managed_instance", "azurerm_postgresql_server", "azurerm_postgresql_flexible_server",
        "azurerm_postgresql_database", "azurerm_mysql_server", "azurerm_mysql_flexible_server",
        "azurerm_cosmosdb_*", "azurerm_storage_account", "azurerm_storage_container", "azurerm_storage_share",
        "azurerm_key_vault", "azurerm_key_vault_key", "azurerm_key_vault_secret", "azurerm_redis_cache",
        "azurerm_managed_disk", "azurerm_snapshot", "azurerm_kusto_cluster", "azurerm_kusto_database",

        // GCP, Pulumi names
        "gcp:sql/databaseInstance:DatabaseInstance", "gcp:sql/database:Database",
        "gcp:bigquery/dataset:Dataset", "gcp:bigquery/table:Table",
        "gcp:storage/bucket:Bucket", "gcp:spanner/instance:Instance", "gcp:spanner/database:Database",
        "gcp:bigtable/instance:Instance", "gcp:bigtable/table:Table", "gcp:firestore/database:Database",
        "gcp:redis/instance:Instance", "gcp:filestore/instance:Instance", "gcp:alloydb/cluster:Cluster",
        "gcp:compute/disk:Disk", "gcp:compute/regionDisk:RegionDisk", "gcp:compute/snapshot:Snapshot",
        "gcp:kms/cryptoKey:CryptoKey", "gcp:kms/keyRing:KeyRing", "gcp:secretmanager/secret:Secret",
        "gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription",

        // GCP, Terraform names
        "google_sql_database_instance", "google_sql_database", "google_bigquery_dataset", "google_bigquery_table",
        "google_storage_bucket", "google_spanner_instance", "google_spanner_database", "google_bigtable_instance",
        "google_bigtable_table", "google_firestore_database", "google_redis_instance", "google_filestore_instance",
        "google_alloydb_cluster", "google_compute_disk", "google_compute_region_disk", "google_compute_snapshot",
        "google_kms_crypto_key", "google_kms_key_ring", "google_secret_manager_secret",
        "google_pubsub_topic", "google_pubsub_subscription",

        // Kubernetes, Pulumi and Terraform names
        "kubernetes:core/v1:PersistentVolume", "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret", "kubernetes:apps/v1:StatefulSet",
        "kubernetes_persistent_volume", "kubernetes_persistent_volume_v1",
        "kubernetes_persistent_volume_claim", "kubernetes_persistent_volume_claim_v1",
        "kubernetes_namespace", "kubernetes_namespace_v1", "kubernetes_secret", "kubernetes_secret_v1",
        "kubernetes_stateful_set", "kubernetes_stateful_set_v1",
    ];

    private readonly IReadOnlyList<Glob> _globs;

    private StatefulCatalogue(IReadOnlyList<string> patterns)
    {
        Patterns = patterns;
        _globs = patterns.Select(Glob.Parse).ToList();
    }

    /// <summary>The built-in catalogue.</summary>
    public static StatefulCatalogue Default { get; } = new(BuiltInPatterns);

    /// <summary>Every pattern, built-in first.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>A catalogue with extra patterns (already validated) after the built-in ones.</summary>
    public StatefulCatalogue With(IEnumerable<string> extraPatterns)
    {
        var extra = extraPatterns.Where(p => !Patterns.Contains(p, StringComparer.Ordinal)).ToList();
        return extra.Count == 0 ? this : new StatefulCatalogue([.. Patterns, .. extra]);
    }

    /// <summary>True when <paramref name="type"/> is catalogued as stateful.</summary>
    public bool IsStateful(string type)
    {
        if (_memo.TryGetValue(type, out var known))
        {
            return known;
        }

        var stateful = false;
        foreach (var glob in _globs)
        {
            if (glob.IsMatch(type))
            {
                stateful = true;
                break;
            }
        }

        return _memo.GetOrAdd(type, stateful);
    }

    /// <summary><see cref="IsStateful(string)"/> of a shared type name: remembered on the name for the built-in catalogue.</summary>
    internal bool IsStateful(Facts.SharedName type) =>
        ReferenceEquals(this, Default) ? type.Is(DefaultStateful) : IsStateful(type.Text);

    private static readonly Facts.NameTrait DefaultStateful = new(type => Default.IsStateful(type.Text) ? 1 : 0);

    // A plan repeats a few dozen types thousands of times: match each type against the globs once.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _memo = new(StringComparer.Ordinal);
}
