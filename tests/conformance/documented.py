"""What each action must answer: the SDK response-body model it is read into, and the fields
that shared/aliyun-api-facts.md documents for it (sections 2-5). Fields the facts describe as
conditional (e.g. `RoleId` only for role sessions, `EndTime` only for released clusters) are
left out. Used for cloudsim's answers and for the aliyun crate's response fixtures alike.
"""

from __future__ import annotations

import importlib

RAM = "alibabacloud_ram20150501.models"
STS = "alibabacloud_sts20150401.models"
EMR = "alibabacloud_emr20210320.models"
DATAWORKS = "alibabacloud_dataworks_public20240518.models"

_ROLE = (
    "RoleId",
    "RoleName",
    "Arn",
    "Description",
    "AssumeRolePolicyDocument",
    "CreateDate",
    "MaxSessionDuration",
    "AllowConsoleLogin",
)

_PROJECT = (
    "Id",
    "Name",
    "DisplayName",
    "Description",
    "Owner",
    "Status",
    "DevEnvironmentEnabled",
    "DevRoleDisabled",
    "PaiTaskEnabled",
)

_CLUSTER_SUMMARY = (
    "ClusterId",
    "ClusterName",
    "ClusterType",
    "ClusterState",
    "ReleaseVersion",
    "PaymentType",
    "CreateTime",
)

# action -> (SDK models module or None for the legacy SDK, response body class, fields)
ACTIONS: dict[str, tuple[str | None, str, tuple]] = {
    "GetCallerIdentity": (
        STS,
        "GetCallerIdentityResponseBody",
        ("RequestId", "AccountId", "Arn", "IdentityType", "PrincipalId"),
    ),
    "CreateRole": (RAM, "CreateRoleResponseBody", ("RequestId", {"Role": _ROLE})),
    "GetRole": (
        RAM,
        "GetRoleResponseBody",
        (
            "RequestId",
            {"Role": _ROLE + ("UpdateDate", "IsServiceLinkedRole", "RolePrincipalName")},
        ),
    ),
    "UpdateRole": (RAM, "UpdateRoleResponseBody", ("RequestId", {"Role": _ROLE + ("UpdateDate",)})),
    "DeleteRole": (RAM, "DeleteRoleResponseBody", ("RequestId",)),
    "AttachPolicyToRole": (RAM, "AttachPolicyToRoleResponseBody", ("RequestId",)),
    "DetachPolicyFromRole": (RAM, "DetachPolicyFromRoleResponseBody", ("RequestId",)),
    "ListPoliciesForRole": (
        RAM,
        "ListPoliciesForRoleResponseBody",
        (
            "RequestId",
            {
                "Policies": (
                    {
                        "Policy": [
                            (
                                "PolicyName",
                                "PolicyType",
                                "Description",
                                "DefaultVersion",
                                "AttachDate",
                            )
                        ]
                    },
                )
            },
        ),
    ),
    "ListRoles": (
        RAM,
        "ListRolesResponseBody",
        (
            "RequestId",
            "IsTruncated",
            {
                "Roles": (
                    {
                        "Role": [
                            (
                                "RoleId",
                                "RoleName",
                                "Arn",
                                "Description",
                                "CreateDate",
                                "UpdateDate",
                                "MaxSessionDuration",
                            )
                        ]
                    },
                )
            },
        ),
    ),
    "GetCluster": (
        EMR,
        "GetClusterResponseBody",
        (
            "RequestId",
            {
                "Cluster": _CLUSTER_SUMMARY
                + (
                    "SecurityMode",
                    "DeployMode",
                    "RegionId",
                    {"NodeAttributes": ("VpcId", "ZoneId", "SecurityGroupId")},
                )
            },
        ),
    ),
    "ListClusters": (
        EMR,
        "ListClustersResponseBody",
        ("RequestId", "MaxResults", "TotalCount", {"Clusters": [_CLUSTER_SUMMARY]}),
    ),
    "ListApplicationConfigs": (
        EMR,
        "ListApplicationConfigsResponseBody",
        (
            "RequestId",
            "TotalCount",
            {
                "ApplicationConfigs": [
                    ("ApplicationName", "ConfigFileName", "ConfigItemKey", "ConfigItemValue")
                ]
            },
        ),
    ),
    # EMR 2016-04-08 through the legacy core SDK, which has no response model.
    "DescribeClusterV2": (
        None,
        "",
        (
            "RequestId",
            {
                "ClusterInfo": (
                    "Id",
                    "Name",
                    "RegionId",
                    "ZoneId",
                    "Status",
                    "HighAvailabilityEnable",
                    "LocalMetaDb",
                    "MetaStoreType",
                    "EasEnable",
                    "VpcId",
                    "VSwitchId",
                    {"SoftwareInfo": ("EmrVer", "ClusterType")},
                )
            },
        ),
    ),
    "GetProject": (DATAWORKS, "GetProjectResponseBody", ("RequestId", {"Project": _PROJECT})),
    "ListProjects": (
        DATAWORKS,
        "ListProjectsResponseBody",
        (
            "RequestId",
            {"PagingInfo": ("PageNumber", "PageSize", "TotalCount", {"Projects": [_PROJECT]})},
        ),
    ),
    "CreateComputeResource": (
        DATAWORKS,
        "CreateComputeResourceResponseBody",
        ("RequestId", "Id"),
    ),
    "GetComputeResource": (
        DATAWORKS,
        "GetComputeResourceResponseBody",
        (
            "RequestId",
            {
                "ComputeResource": (
                    "Id",
                    "ProjectId",
                    "Name",
                    "Type",
                    "ConnectionPropertiesMode",
                    "ConnectionProperties",
                    "Description",
                    "CreateTime",
                    "CreateUser",
                    "ModifyTime",
                    "ModifyUser",
                    "QualifiedName",
                )
            },
        ),
    ),
    "ListComputeResources": (
        DATAWORKS,
        "ListComputeResourcesResponseBody",
        (
            "RequestId",
            {
                "PagingInfo": (
                    "PageNumber",
                    "PageSize",
                    "TotalCount",
                    {
                        "ComputeResources": [
                            (
                                "Name",
                                "Type",
                                {
                                    "ComputeResource": [
                                        ("Id", "ConnectionProperties", "ConnectionPropertiesMode")
                                    ]
                                },
                            )
                        ]
                    },
                )
            },
        ),
    ),
    "DeleteComputeResource": (
        DATAWORKS,
        "DeleteComputeResourceResponseBody",
        ("RequestId", "Success"),
    ),
    "ListResourceGroups": (
        DATAWORKS,
        "ListResourceGroupsResponseBody",
        (
            "RequestId",
            "Success",
            {
                "PagingInfo": (
                    "PageNumber",
                    "PageSize",
                    "TotalCount",
                    {
                        "ResourceGroupList": [
                            (
                                "Id",
                                "Name",
                                "ResourceGroupType",
                                "Status",
                                "DefaultVpcId",
                                "DefaultVswicthId",
                                "CreateTime",
                            )
                        ]
                    },
                )
            },
        ),
    ),
    "AssociateProjectToResourceGroup": (
        DATAWORKS,
        "AssociateProjectToResourceGroupResponseBody",
        ("RequestId", "Success"),
    ),
    "DissociateProjectFromResourceGroup": (
        DATAWORKS,
        "DissociateProjectFromResourceGroupResponseBody",
        ("RequestId", "Success"),
    ),
    "ListDataSources": (
        DATAWORKS,
        "ListDataSourcesResponseBody",
        (
            "RequestId",
            {
                "PagingInfo": (
                    "PageNumber",
                    "PageSize",
                    "TotalCount",
                    {
                        "DataSources": [
                            (
                                "Name",
                                "Type",
                                {
                                    "DataSource": [
                                        (
                                            "Id",
                                            "ConnectionProperties",
                                            "ConnectionPropertiesMode",
                                            "CreateTime",
                                            "CreateUser",
                                            "QualifiedName",
                                        )
                                    ]
                                },
                            )
                        ]
                    },
                )
            },
        ),
    ),
    "TestDataSourceConnectivity": (
        DATAWORKS,
        "TestDataSourceConnectivityResponseBody",
        (
            "RequestId",
            {
                "Connectivity": (
                    "ConnectState",
                    "ConnectMessage",
                    {"DetailLogs": [("Code", "Message", "StartTime", "EndTime")]},
                )
            },
        ),
    ),
    "ListResourceGroupAssociateProjects": (
        DATAWORKS,
        "ListResourceGroupAssociateProjectsResponseBody",
        ("RequestId", "Success", "ProjectIdList"),
    ),
    "GetComputeResourceAuthUserMappings": (
        DATAWORKS,
        "GetComputeResourceAuthUserMappingsResponseBody",
        (
            "RequestId",
            "Success",
            {"Data": ("HadoopAuthType", {"Accounts": [("UserId", "Username")]})},
        ),
    ),
    "UpdateComputeResourceAuthUserMappings": (
        DATAWORKS,
        "UpdateComputeResourceAuthUserMappingsResponseBody",
        ("RequestId", "Success", {"Data": ("ChangeRecordId", "Status")}),
    ),
}

# The gateway's error body (facts 1.3).
ERROR_FIELDS = ("RequestId", "HostId", "Code", "Message", "Recommend")


def model_class(action: str):
    """The SDK response-body class of `action`, or None for the legacy SDK."""
    module, name, _ = ACTIONS[action]
    if module is None:
        return None
    return getattr(importlib.import_module(module), name)


def fields(action: str) -> tuple:
    """The documented fields of `action`'s answer."""
    return ACTIONS[action][2]
